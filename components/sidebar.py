"""The shared sidebar: model, sentence and how tokens are shown; read by every page."""

from __future__ import annotations

import streamlit as st

from components import cached, charts, faults
from components.state import (
    DEFAULT_TEXT,
    HIDE_SPECIAL,
    KEEP_BROWSER_TEXT,
    KIND,
    MODEL,
    MODEL_CHOICE,
    MODEL_CUSTOM,
    NORM_WEIGHTED,
    TARGET,
    TEXT,
    WHOLE_WORDS,
    Settings,
    current,
)
from components.text import literal
from headscope import models
from headscope.attention import KINDS, MAX_CHARS
from headscope.errors import ModelError, SettingsError
from headscope.families import ENCODER_DECODER
from headscope.models import BUNDLED_ID
from headscope.policy import Policy

OTHER_HUB, LOCAL_FOLDER = "Another hub model…", "A local folder…"


def model_options(policy: Policy) -> list[str]:
    """What the model picker offers under this server's policy."""
    hub = list(policy.allowed) if policy.allowed else list(models.CURATED)
    options = [BUNDLED_ID] + [
        m for m in hub if m != BUNDLED_ID and (policy.allow_hub or policy.allowed or not models.looks_like_path(m))
    ]
    if policy.allow_hub and not policy.allowed:
        options.append(OTHER_HUB)
    if policy.allow_local and not policy.allowed:
        options.append(LOCAL_FOLDER)
    return options


def listed_models(policy: Policy) -> list[str]:
    """The models the picker lists by name (no custom hub id or folder): what a comparison can use."""
    return [m for m in model_options(policy) if m not in (OTHER_HUB, LOCAL_FOLDER)]


def text_box(label: str, key: str, height: int, hint: str) -> str:
    """A text area that takes text of any length and cuts it to MAX_CHARS with a message.

    The browser is given no limit: Streamlit's box ignores, without a word, any change that
    would take it past `max_chars`, counted in UTF-16 units (an emoji is two), so a long
    paste vanished and an emoji text under the server's limit could not be typed.
    """
    text = st.session_state.get(key)
    if isinstance(text, str) and text != text.strip("\r\n"):
        # Enter in the box adds a newline (Ctrl+Enter applies): one at either end is dropped, so the
        # text and its link (%0A) stay as typed
        text = st.session_state[key] = text.strip("\r\n")
    cut = isinstance(text, str) and len(text) > MAX_CHARS
    if cut:
        st.session_state[key] = text[:MAX_CHARS]  # before the box is drawn: the box shows the cut text
    value = st.text_area(label, key=key, height=height, help=f"{hint} At most {MAX_CHARS:,} characters.")
    if cut:
        st.warning(
            f"The text had {len(text):,} characters, more than the limit of {MAX_CHARS:,}: only its "
            f"first {MAX_CHARS:,} characters are kept. Shorten it to choose which part is read.",
            icon=":material/content_cut:",
        )
    return value


def _chosen_model(policy: Policy) -> str:
    """The picker and, for a custom choice, the box to type the id or folder in."""
    options = model_options(policy)
    if st.session_state.get(MODEL_CHOICE) not in options:
        st.session_state[MODEL_CHOICE] = BUNDLED_ID
    choice = st.selectbox(
        "Model",
        options,
        key=MODEL_CHOICE,
        help="The bundled model runs offline. Hub models load from the local "
        "Hugging Face cache, or download once where the server allows it.",
    )
    if choice == OTHER_HUB:
        return st.text_input("Hub model id", key=MODEL_CUSTOM, placeholder="e.g. bert-base-cased").strip()
    if choice == LOCAL_FOLDER:
        return st.text_input("Model folder", key=MODEL_CUSTOM, placeholder="/path/to/model").strip()
    return choice


def _load(model_id: str) -> str:
    """Load the chosen model (with its size in the spinner); on failure say why, fall back to the bundled one."""
    if not model_id:
        return BUNDLED_ID
    try:
        size = cached.model_info(model_id)
        if cached.in_memory(model_id):  # most runs: no spinner (it starts a timer thread on every run)
            loaded = cached.loaded_model(model_id)
        else:
            with st.spinner(f"Loading {model_id} ({size})…"):
                loaded = cached.loaded_model(model_id)
    except SettingsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failed load (ModelError, out of memory, ...) must not end the session
        if model_id == BUNDLED_ID:
            raise
        if not isinstance(exc, ModelError):
            faults.log.exception("loading %s failed", model_id)
        st.error(literal(f"{faults.message(exc)}. Showing the bundled model instead."))  # holds the typed id
        return BUNDLED_ID
    if model_id == BUNDLED_ID:
        st.caption(f"**{BUNDLED_ID}**: bundled, runs offline ({size}).")
    else:
        st.caption(
            f"**{literal(loaded.name)}**: {loaded.family}, {loaded.num_layers} layers x {loaded.num_heads} heads ({size})."
        )
    return model_id


def render() -> Settings:
    """Draw the sidebar and return the current settings."""
    if not st.session_state.pop(KEEP_BROWSER_TEXT, False):  # a reconnected page brings its own sentence
        st.session_state.setdefault(TEXT, DEFAULT_TEXT)
    with st.sidebar:
        st.markdown("### Headscope")
        policy = faults.settings_or_stop(cached.policy)
        with faults.guard("The model could not be loaded"):
            st.session_state[MODEL] = _load(_chosen_model(policy))
            family = cached.loaded_model(st.session_state[MODEL]).family
        text_box(
            "Sentence" if family != ENCODER_DECODER else "Source text (encoder)",
            TEXT,
            100,
            "Type any text and press Ctrl+Enter, click outside the box or press Apply.",
        )
        # a touch screen has no Ctrl+Enter: a tap here leaves the box, which applies what was typed
        st.button("Apply", key="apply_text", icon=":material/check:", help="Apply the text typed above.")
        if family == ENCODER_DECODER:
            text_box(
                "Target text (decoder)",
                TARGET,
                80,
                "What the decoder reads (teacher forcing); empty: the same as the source.",
            )
            st.selectbox(
                "Attention",
                list(KINDS),
                key=KIND,
                format_func=KINDS.get,
                help="Encoder self-attention (source to source), decoder self-attention "
                "(target to earlier target tokens) or cross-attention (target to source).",
            )
        st.toggle(
            "Whole words",
            key=WHOLE_WORDS,
            help="Merge word pieces into words (Clark et al. 2019): attention TO a word is "
            "the sum over its pieces, attention FROM a word is the mean over its pieces.",
        )
        st.toggle(
            "Weigh by what heads move",
            key=NORM_WEIGHTED,
            help="Show alpha_ij x ||f_h(x_j)|| instead of alpha_ij: each weight times the size of what the head "
            "moves from that token (Kobayashi et al. 2020, 'Attention is not only a weight'). Shrinks the "
            "[CLS]/[SEP] sink that hides the links; the colour scale runs to the largest value. The syntax "
            "pages and the answer are scored on it too.",
        )
        st.toggle(
            "Hide special tokens",
            key=HIDE_SPECIAL,
            help="Drop special tokens ([CLS], [SEP], <s>, </s>, ...) from both axes and rescale each "
            "row to sum to 1. Many heads park spare attention on them.",
        )
        charts.format_picker()
    return current()


def language_notice(s: Settings) -> None:
    """One notice at the top of every page when the sentence is not English: no parse, attention still drawn."""
    try:
        found = cached.text_language(s.text)
    except Exception:  # noqa: BLE001 - the check failing must not cost the page; the pages' parse reports it
        faults.log.exception("the language check failed")
        return
    if not found.english:
        st.warning(
            f"This text looks like {found.name}, and the parser reads English only: the heatmaps show its "
            "attention, but no parse, relation outlines, answers or rankings are drawn for it. Type an "
            "English sentence to see those.",
            icon=":material/translate:",
        )
