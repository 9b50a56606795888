"""Styling Streamlit has no public API for, in one place (checked by tests/test_streamlit_style.py).

Streamlit 1.67 pads its main block with 6rem at the top and offers no option to change it
per page; presentation mode needs that room on a 1024x768 projector. The selector below is
Streamlit's own test id for the main block: a Streamlit upgrade may rename it, and the test
that pins the version says when to check it again.
"""

from __future__ import annotations

import streamlit as st

CHECKED_WITH = "1.67.0"
"""The Streamlit version this selector was checked against."""

MAIN_BLOCK = "[data-testid='stMainBlockContainer']"


def compact_top() -> None:
    """Less padding above the page's first element (presentation mode)."""
    st.html(f"<style>{MAIN_BLOCK}{{padding-top:1.2rem;padding-bottom:1rem}}</style>")
