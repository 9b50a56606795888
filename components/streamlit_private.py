"""Every use of Streamlit's private internals, in one place (checked against Streamlit 1.67.0).

Streamlit has no public API for either of these; each function says what it reads and
why. tests/test_streamlit_private.py fails on another Streamlit version, and when a name
used here is gone: check each function against the new version, then update
CHECKED_VERSION.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
from collections.abc import Callable

import streamlit as st

try:
    from streamlit.navigation.page import StreamlitPage
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.runtime.state.session_state_proxy import get_session_state
except ImportError:  # pragma: no cover - a Streamlit that moved them: the functions below do nothing
    PagesManager = get_session_state = get_script_run_ctx = StreamlitPage = None

CHECKED_VERSION = "1.67.0"
"""The Streamlit release these functions were read against (requirements.txt pins it)."""


def browser_sent_widget_values() -> bool:
    """True when this run arrived with widget values from the browser (a reconnected page).

    A fresh page load sends none. A page whose server went away (a replica killed behind
    deploy/'s nginx) reconnects to another server and sends the values on screen. Reads
    the session's private `_state._new_widget_state`; False where it cannot be read
    (tests/test_deploy.py kills a replica and checks the sentence survives).
    """
    try:
        return bool(get_session_state()._state._new_widget_state.states)
    except (AttributeError, TypeError):
        return False


def upload_lost(key: str) -> bool:
    """True when the browser names a file for the file uploader `key` that this server does not hold.

    The browser keeps an uploaded file's chip and sends the file's id on every run; a server
    without the file (the replica that received it is gone, and another took the page over)
    returns no file, and the chip stays with nothing under it. Streamlit reads such an id as a
    `DeletedFile` in the session's private `_state._new_widget_state` (a keyed widget's id ends
    with its key); False where it cannot be read (tests/test_faults.py).
    """
    try:
        states = get_session_state()._state._new_widget_state.states
        values = [getattr(v, "value", None) for k, v in states.items() if k.endswith(f"-{key}")]
    except (AttributeError, TypeError):
        return False
    files = [f for v in values for f in (v if isinstance(v, list) else [v])]
    return any(type(f).__name__ == "DeletedFile" for f in files)


def leave_pages_directory_mode() -> None:
    """Make a run that Streamlit started in its old multipage mode go through app.py's navigation.

    Streamlit 1.67 runs the first script of a fresh server in its old multipage mode when
    a `pages/` folder sits next to app.py, until some script calls st.navigation: a first
    visit to a deep link (/syntax) would run pages/syntax.py alone, without app.py, its
    sidebar or its page list, for every later visitor too. Clearing the private class flag
    `PagesManager.uses_pages_directory` and rerunning sends the run through app.py.
    (Naming the folder anything but `pages/` would avoid the mode with no private name.)
    """
    if PagesManager is not None and getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    if _page_runs_alone():  # started in that mode before another session left it (a cold server, a class)
        st.rerun()


def _page_runs_alone() -> bool:
    """True when this run executes a page while the server's main script (app.py) is not running.

    On a fresh server, sessions that opened at once all started in the old multipage mode; the
    first to clear the flag above reran, and the others, seeing it cleared, ran their page
    without app.py: its settings check, its sidebar and its one load of transformers and the
    model (tests/test_cold_start.py). The run's context names the main script; the frames of
    this thread show whether it is running. A page run on its own (AppTest) is its own main script.
    """
    ctx = get_script_run_ctx() if get_script_run_ctx is not None else None
    main = getattr(ctx, "main_script_path", None)
    if not main:
        return False
    frame, files = sys._getframe(1), set()
    while frame is not None:  # by file name: AppTest keeps "../app.py" and runs /…/app.py
        files.add(os.path.basename(frame.f_code.co_filename))
        frame = frame.f_back
    return os.path.basename(str(main)) not in files


def fragment_rerun() -> bool:
    """True when this run reruns fragments only (app.py and the page body are not running).

    Streamlit says so only in the run's context (`fragment_ids_this_run`, set for a fragment's
    own rerun). A fragment uses it to do what app.py does after every full run (the link in the
    address bar) only when app.py will not.
    """
    ctx = get_script_run_ctx() if get_script_run_ctx is not None else None
    return bool(getattr(ctx, "fragment_ids_this_run", None))


_pages: dict[str, list] = {}  # by the main script's path
_pages_lock = threading.Lock()


def reused_pages(build: Callable[[], list]) -> list:
    """The app's `st.Page`s, built once per process by `build`, handed to each run as shallow copies.

    `st.Page` resolves its script's path on every run (`Path.resolve`: an `lstat` per folder of
    the path, each letting other threads take the interpreter): for ten pages, 15% of the server's
    samples during a classroom's load of Inside a head (`python -m bench.stacks inside`). A
    `StreamlitPage` also carries a private flag for one run (`_can_be_called`, set by st.navigation
    on the page it returns, cleared by its `run`): each run gets copies of its own, so sessions
    running at once never share it. What `build` returns is kept, for the running main script, only
    if it is Streamlit's pages (bench/pages.py lists the pages with a stand-in st.Page).
    """
    ctx = get_script_run_ctx() if get_script_run_ctx is not None else None
    script = getattr(ctx, "main_script_path", None)
    with _pages_lock:
        pages = _pages.get(script) or build()
        if script and StreamlitPage is not None and all(isinstance(p, StreamlitPage) for p in pages):
            _pages[script] = pages
    return [copy.copy(p) for p in pages]


MAIN_BLOCK = "[data-testid='stMainBlockContainer']"
"""Streamlit's own test id of the main block; 1.67 pads it 6rem at the top, with no option per page
(its fixed header, with the sidebar's button, is 3.75rem tall: the page starts just below it)."""


ICONS_ONLY = (
    "@media (max-width:640px){{.st-key-{key} button [data-testid=stMarkdownContainer],.st-key-{key} button kbd"
    "{{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}}"
    ".st-key-{key} button{{padding-left:0.25rem;padding-right:0.25rem;min-width:0}}}}"
)
"""A row of buttons keyed `key` (Streamlit's class st-key-KEY) showing only their icons in a window under 640 px:
the label (a Markdown block) and the shortcut hint hidden from sight, not from screen readers."""


def compact_top(icons_only: str = "") -> None:
    """Less padding above a page's first element (presentation mode: a 1024x768 projector needs the room);
    `icons_only`: the key of a row of buttons that shows only their icons on a phone (see ICONS_ONLY)."""
    st.html(
        f"<style>{MAIN_BLOCK}{{padding-top:3.9rem;padding-bottom:0.5rem;padding-left:2rem;padding-right:2rem}}"
        + (ICONS_ONLY.format(key=icons_only) if icons_only else "")
        + "</style>"
    )


SIDEBAR = "[data-testid='stSidebar']"
"""Streamlit's own test id of the sidebar (1.67), which holds the page links and the settings."""

FOCUS_RING = (
    f"{SIDEBAR} a:focus-visible{{outline:2px solid currentColor;outline:2px solid rgb(from currentColor r g b / 1);"
    "outline-offset:-2px}"
)
"""A ring in the link's own text colour, made opaque (dark on the light theme, light on the dark one); browsers
without relative colours keep the first rule, the text colour as it is."""


def visible_focus() -> None:
    """A clear ring around the sidebar's link that has the keyboard's focus (Streamlit 1.67 only tints its
    background a faint grey, which a projector loses)."""
    st.html(f"<style>{FOCUS_RING}</style>")
