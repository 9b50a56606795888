"""The errors of loading a model or reading the server's settings, and how to tell them apart."""

from __future__ import annotations


class ModelError(ValueError):
    """A model could not be loaded; the message says why and what to do."""


class SettingsError(ModelError):
    """A HEADSCOPE_* environment variable or `[headscope]` secret has a value Headscope cannot use."""


class UnsupportedModel(ValueError):
    """This model's attention cannot be taken apart (or split per head) here; the message says why."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def out_of_memory(exc: BaseException) -> bool:
    """True for Python's MemoryError and torch's out-of-memory errors (CPU or GPU)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "can't allocate memory" in text or "not enough memory" in text or "out of memory" in text
    )
