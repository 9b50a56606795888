"""What a page shows when the engine fails: one clear message, never a traceback; the session goes on."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from streamlit.errors import StreamlitAPIException

from components.text import literal
from headscope.attention import InputError, OutOfMemory
from headscope.errors import ModelError, SettingsError, UnsupportedModel, out_of_memory
from headscope.language import THIS_TEXT, NotEnglish
from headscope.syntax import ParseError

PLAIN = (InputError, ModelError, ParseError, UnsupportedModel)
"""Failures whose own message says what is wrong and what to do (no traceback in the log)."""

log = logging.getLogger("headscope")


def message(exc: BaseException) -> str:
    """One line for the user: the engine's own message, or what failed and where for anything else."""
    if isinstance(exc, PLAIN):
        return str(exc)
    if out_of_memory(exc):
        return "the server ran out of memory on this request; try a shorter text or a smaller model"
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"something went wrong ({type(exc).__name__}{': ' + first if first else ''})"


def show(exc: BaseException, what: str) -> None:
    """Show a failure as one message: a bad input as a note, anything else as an error."""
    # messages carry user text (a file name, a typed model path, a token): shown literally
    if isinstance(exc, InputError) and not isinstance(exc, OutOfMemory):
        st.info(literal(f"Nothing to show: {exc}."))
    elif isinstance(exc, NotEnglish) and exc.what == THIS_TEXT:  # the notice above the page says the rest
        st.caption(f"{what}: the parser reads English only (see the note at the top of the page).")
    else:
        st.error(literal(f"{what}: {message(exc)}."), icon=":material/error:")


@contextmanager
def guard(what: str) -> Iterator[None]:
    """Run engine calls; on a failure show it (see `show`) and stop this run. The next run starts clean.

    Streamlit's caches keep only results that were returned, never a failed call, so the
    next request runs it again. Streamlit's own st.stop/st.rerun pass through (they are
    BaseExceptions, not Exceptions).
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - a page must survive any engine failure
        report(exc, what)
    else:
        return
    st.stop()


def report(exc: Exception, what: str) -> None:
    """Show a caught failure (see `show`); an unexpected one's traceback goes to the server's log.

    Streamlit's own API errors (a widget's arguments) are the page's bugs: they are raised again.
    """
    if isinstance(exc, StreamlitAPIException):
        raise exc
    if not isinstance(exc, PLAIN) and not out_of_memory(exc):
        log.exception("%s failed", what, exc_info=exc)  # the traceback goes to the log, not to the user
    show(exc, what)


def model_run():
    """The guard around a page's model run: a bad text as a note, out of memory or any failure as an error."""
    return guard("Cannot run the model on this text")


def settings_or_stop(read):
    """The server's settings from `read()`; a malformed setting stops every page with one message."""
    try:
        return read()
    except SettingsError as exc:
        st.error(
            literal(
                f"This server is misconfigured: {exc}. Ask its administrator to fix the setting "
                "(see .streamlit/secrets.example.toml)."
            ),
            icon=":material/settings:",
        )
        st.stop()
