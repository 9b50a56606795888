"""Links between pages that still work when a page runs on its own (AppTest, notebooks)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from components import heatmaps, streamlit_style


def link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app; plain text when the page is not registered."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"{label} (page: {page})")


def ensure_app() -> None:
    """Make a page that Streamlit started on its own go through app.py's navigation.

    Streamlit 1.67 runs the first script of a fresh server in its old multipage mode when
    a `pages/` folder sits next to app.py, until some script calls st.navigation: a first
    visit to a deep link (/syntax) would run pages/syntax.py alone, without app.py, its
    sidebar or its page list, for every later visitor too. Clearing the flag and rerunning
    sends the run through app.py.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without the flag has no such mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def step(delta: int, layers: int, heads: int) -> None:
    """Presentation mode's Previous/Next: the next (or previous) head, or layer, wrapping around.

    A callback kept with the session's widgets: defined here rather than in the page, whose
    globals (the text's attention) it would otherwise keep alive with the session.
    """
    state = st.session_state
    if state["present_unit"] == "layer":
        state["present_layer"] = (state["present_layer"] + delta) % layers
        return
    index = (state["present_layer"] * heads + state["present_head"] + delta) % (layers * heads)
    state["present_layer"], state["present_head"] = divmod(index, heads)


def show_unit(unit: str) -> None:
    """Presentation mode's One head / One layer buttons (buttons, not a switch: the arrow keys still work after)."""
    st.session_state["present_unit"] = unit


def jump_to_clicked(*keys: str) -> None:
    """Presentation mode: a head clicked in the layer grid, or in the head picker, is shown alone."""
    for key in keys:
        clicked = heatmaps.new_click(key)
        if clicked is not None:
            st.session_state["present_layer"], st.session_state["present_head"] = clicked
            st.session_state["present_unit"] = "head"


def compact_page() -> None:
    """Presentation mode: less space above the figure (the page's top padding), so a projector shows it whole."""
    streamlit_style.compact_top()
