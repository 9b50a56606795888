"""The session's settings: what every page reads (model, text, token display), their defaults
and the session-state keys the sidebar's widgets write them under. Imports no other component."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from headscope import corpus
from headscope.models import BUNDLED_ID

DEFAULT_TEXT = "The black cat sat on the mat."

# session-state keys of the sidebar's widgets (links.PARAMS maps query parameters onto them)
MODEL = "model"
"""The model in use (set by the sidebar once the chosen model has loaded)."""
MODEL_CHOICE, MODEL_CUSTOM = "model_choice", "model_custom"
"""The model picker, and the box for a hub id or folder typed in."""
TEXT, TARGET, KIND = "text", "target", "kind"
WHOLE_WORDS, NORM_WEIGHTED, HIDE_SPECIAL = "whole_words", "norm_weighted", "hide_special"
COMPARE_TAB = "compare_tab"
COMPARE_TABS = ("Difference", "Every head's numbers", "Head ranking")
"""Compare's sections below A and B, one tab each: only the open tab's section runs and is drawn (a fresh
tab draws a third of the page; `python -m bench.pages --pages compare`). A link carries the open one."""
VERDICT_CORPUS = "verdict_corpus"
"""The shipped corpus whose verdicts every page shows (headscope.corpus.SOURCES); the Head atlas page picks it."""
QUIZ_CLASS = "quiz_class"
"""Guess the head's class code (the link's `class`): the quiz page's class, and the one Presentation tallies."""
KEEP_BROWSER_TEXT = "_keep_browser_text"
"""Set on a reconnected session's first run: the sidebar keeps the sentence the browser sent."""


@dataclass(frozen=True)
class Settings:
    """What every page needs to know: model, text (and target), token display options."""

    model: str
    text: str
    whole_words: bool
    hide_special: bool
    target: str = ""  # encoder-decoder models: the decoder's text ("" = the same as text)
    kind: str = "encoder"  # encoder-decoder models: encoder, decoder or cross attention
    weighting: str = "weights"  # or "norms": attention weighted by what each head moves (Kobayashi et al. 2020)


def current() -> Settings:
    """The settings from the session (defaults when a page runs without the sidebar)."""
    state = st.session_state
    return Settings(
        model=state.get(MODEL, BUNDLED_ID),
        text=state.get(TEXT, DEFAULT_TEXT),
        whole_words=bool(state.get(WHOLE_WORDS, False)),
        hide_special=bool(state.get(HIDE_SPECIAL, False)),
        target=state.get(TARGET, "") or "",
        kind=state.get(KIND, "encoder") or "encoder",
        weighting="norms" if state.get(NORM_WEIGHTED) else "weights",
    )


def verdict_corpus() -> str:
    """The shipped corpus the session's verdicts come from: gold (UD English-EWT) unless it picked another."""
    choice = st.session_state.get(VERDICT_CORPUS, corpus.DEFAULT)
    return choice if choice in corpus.SOURCES else corpus.DEFAULT


# The session keys a link carries (components/links.py, PARAMS), each named here once; pages and components
# read and write them through these names.
LAYER = "layer"
RELATION = "relation"
ALL_LAYERS = "all_layers"
INSIDE_LAYER = "inside_layer"
INSIDE_HEAD = "inside_head"
ROLLOUT_LAYER = "rollout_layer"
OVERVIEW_CORPUS = "overview_corpus"
BERTVIZ_VIEW = "bertviz_view"
BERTVIZ_LAYER = "bertviz_layer"
COMPARE_MODE = "compare_mode"
COMPARE_TEXT = "compare_text"
COMPARE_MODEL = "compare_model"
COMPARE_LAYER = "compare_layer"
COMPARE_ALIGN = "compare_align"
COMPARE_STAT = "compare_stat"
COMPARE_HEAD = "compare_head"
PRESENT_UNIT = "present_unit"
PRESENT_LAYER = "present_layer"
PRESENT_HEAD = "present_head"
SHOW_LINKS = "show_links"
OPEN_HEAD = "open_head"
KNOCKOUT_HEADS = "knockout_heads"
KNOCKOUT_ABLATION = "knockout_ablation"
