"""The shared sidebar: the sentence and how tokens are shown; read by every page."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from headscope.models import BUNDLED_ID

DEFAULT_TEXT = "The black cat sat on the mat."
MAX_CHARS = 20_000


@dataclass(frozen=True)
class Settings:
    """What every page needs to know: model, text and token display options."""

    model: str
    text: str
    whole_words: bool
    hide_special: bool


def render() -> Settings:
    """Draw the sidebar and return the current settings."""
    st.session_state.setdefault("text", DEFAULT_TEXT)
    with st.sidebar:
        st.markdown("### Headscope")
        st.text_area(
            "Sentence",
            key="text",
            height=100,
            max_chars=MAX_CHARS,
            help="Type any English text and press Ctrl+Enter (or click outside the box).",
        )
        st.caption(f"Model: **{BUNDLED_ID}** (bundled, runs offline)")
        st.toggle(
            "Whole words",
            key="whole_words",
            help="Merge word pieces into words (Clark et al. 2019): attention TO a word is "
            "the sum over its pieces, attention FROM a word is the mean over its pieces.",
        )
        st.toggle(
            "Hide special tokens",
            key="hide_special",
            help="Drop [CLS] and [SEP] from both axes and rescale each row to sum to 1. "
            "Many heads park spare attention on them.",
        )
    return current()


def current() -> Settings:
    """The settings from the session (defaults when a page runs without the sidebar)."""
    state = st.session_state
    return Settings(
        model=state.get("model", BUNDLED_ID),
        text=state.get("text", DEFAULT_TEXT),
        whole_words=bool(state.get("whole_words", False)),
        hide_special=bool(state.get("hide_special", False)),
    )
