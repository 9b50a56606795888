"""The engine behind Streamlit's caches: one model per process, results shared by sessions."""

from __future__ import annotations

import gc

import streamlit as st

from headscope import attention, figures, models, words
from headscope.attention import Attention


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def loaded_model(model_id: str) -> models.LoadedModel:
    """Load a model once per process; later sessions share it read-only."""
    loaded = models.load(model_id)
    # Streamlit runs gc.collect() after every script run; freezing the model's many
    # long-lived objects keeps that collection from walking them on every page view.
    gc.collect()
    gc.freeze()
    return loaded


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def raw_attention(model_id: str, text: str) -> Attention:
    """The model's attention for a text, at the level of the tokenizer's pieces."""
    return attention.run(loaded_model(model_id), text)


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def attention_view(model_id: str, text: str, whole_words: bool, hide_special: bool) -> Attention:
    """Attention as the user asked to see it: pieces or whole words, special tokens or not."""
    att = raw_attention(model_id, text)
    if whole_words:
        att = words.merge(att)
    if hide_special:
        att = attention.without_special(att)
    return att


@st.cache_resource(show_spinner=False, max_entries=64, ttl=3600)
def layer_figure(model_id: str, text: str, whole_words: bool, hide_special: bool, layer: int):
    """The heads of one layer as one figure, built once and shared across sessions."""
    return figures.layer_figure(attention_view(model_id, text, whole_words, hide_special), layer)


@st.cache_resource(show_spinner=False, max_entries=32, ttl=3600)
def model_figure(model_id: str, text: str, whole_words: bool, hide_special: bool):
    """All heads of the model as one clickable layer x head grid."""
    return figures.model_figure(attention_view(model_id, text, whole_words, hide_special))


@st.cache_resource(show_spinner=False, max_entries=64, ttl=3600)
def head_figure(model_id: str, text: str, whole_words: bool, hide_special: bool, layer: int, head: int):
    """One head, large."""
    return figures.head_figure(attention_view(model_id, text, whole_words, hide_special), layer, head)
