"""Headscope engine: run a transformer, collect and analyse its attention. No Streamlit here."""

import os

__version__ = "0.1.0"

# Idle OpenMP threads sleep instead of spinning (set before torch is imported, which every entry point
# does after importing headscope). With spinning, the second of a 2-core server's torch threads burned
# about 30 ms of CPU after each short forward pass: a new sentence cost a page view 88 ms of CPU
# instead of 57 ms (DEVELOPERS.md, "Threads"). A value the environment sets is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def __getattr__(name: str):
    """`headscope.show`, imported on first use (headscope/notebook.py): importing headscope stays cheap, no torch."""
    if name == "show":
        from headscope.notebook import show

        return show
    raise AttributeError(f"module 'headscope' has no attribute {name!r}")


__all__ = ["show"]
