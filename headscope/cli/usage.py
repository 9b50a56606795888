"""Bad usage of the command line: one line that says what to do, never argparse's exit or a traceback."""

from __future__ import annotations

import argparse
import re


class UsageError(Exception):
    """Bad command-line arguments; the message says what to do."""


class Parser(argparse.ArgumentParser):
    """An argument parser that reports bad usage as one line instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        command = " ".join(self.prog.split()[1:])  # "headscope syntax" -> "syntax"; "headscope" -> ""
        raise UsageError(f"{message} (see `python -m headscope {command + ' ' if command else ''}--help`)")


def whole_number(text: str) -> int:
    """A number argument written with the digits 0 to 9, as links take them (int() also reads full-width
    digits, "1_0" and " 1", and raises past 4,300 digits)."""
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a whole number written with the digits 0 to 9 (at most nine)"
        )
    return int(text)
