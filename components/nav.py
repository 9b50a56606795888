"""Links between pages that still work when a page runs on its own (AppTest, notebooks)."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from components import heatmaps, state, streamlit_private


def link(page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app; plain text when the page is not registered."""
    try:
        st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:
        st.caption(f"{label} (page: {page})")


def ensure_app() -> None:
    """Make a page that Streamlit started on its own go through app.py's navigation (first line of every page)."""
    streamlit_private.leave_pages_directory_mode()


def step(delta: int, layers: int, heads: int) -> None:
    """Presentation mode's Previous/Next: the next (or previous) head, or layer, wrapping around.

    A callback kept with the session's widgets: defined here rather than in the page, whose
    globals (the text's attention) it would otherwise keep alive with the session.
    """
    session = st.session_state
    if session[state.PRESENT_UNIT] == "layer":
        session[state.PRESENT_LAYER] = (session[state.PRESENT_LAYER] + delta) % layers
        return
    index = (session[state.PRESENT_LAYER] * heads + session[state.PRESENT_HEAD] + delta) % (layers * heads)
    session[state.PRESENT_LAYER], session[state.PRESENT_HEAD] = divmod(index, heads)


def show_unit(unit: str) -> None:
    """Presentation mode's One head / One layer buttons (buttons, not a switch: the arrow keys still work after)."""
    st.session_state[state.PRESENT_UNIT] = unit


def jump_to_clicked(*keys: str) -> None:
    """Presentation mode: a head clicked in the layer grid, or in the head picker, is shown alone."""
    for key in keys:
        clicked = heatmaps.new_click(key)
        if clicked is not None:
            st.session_state[state.PRESENT_LAYER], st.session_state[state.PRESENT_HEAD] = clicked
            st.session_state[state.PRESENT_UNIT] = "head"


CONTROLS = "present_controls"
"""The key of Presentation mode's row of controls."""


def compact_page() -> None:
    """Presentation mode: less space above the figure (the page's top padding), so a projector shows it whole;
    on a phone its controls show their icons only (their names stay for screen readers), in one row."""
    streamlit_private.compact_top(icons_only=CONTROLS)
