"""`python -m headscope ...`: see headscope.cli."""

import os
import sys

from headscope.cli import main


def leave(status: int) -> None:
    """End the process with `status` once its output is written.

    With torch and transformers loaded, the interpreter's own teardown (finalising some hundred
    thousand objects of their modules) takes 1 to 2 seconds and does nothing a command needs: the
    output is flushed, a second process still parsing is ended, and the process ends at once.
    """
    if "torch" not in sys.modules:
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`... | head`): nothing more can be written
            status = status or 1
    if "multiprocessing" in sys.modules:
        import multiprocessing

        for child in multiprocessing.active_children():  # knockout's parser, if an error came first
            child.terminate()
    os._exit(status)


leave(main())
