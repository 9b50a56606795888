"""The shared sidebar: model, sentence and how tokens are shown; read by every page."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components import charts, faults
from components.text import literal
from headscope import attention, models
from headscope.attention import KINDS
from headscope.models import BUNDLED_ID

DEFAULT_TEXT = "The black cat sat on the mat."
MAX_CHARS = attention.MAX_CHARS
"""The longest text the app reads, in characters (the engine refuses longer ones)."""
OTHER_HUB, LOCAL_FOLDER = "Another hub model…", "A local folder…"


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


def model_options(policy: models.Policy) -> list[str]:
    """What the model picker offers under this server's policy."""
    hub = list(policy.allowed) if policy.allowed else list(models.CURATED)
    options = [BUNDLED_ID] + [m for m in hub if m != BUNDLED_ID and (policy.allow_hub or policy.allowed
                                                                    or not models.looks_like_path(m))]
    if policy.allow_hub and not policy.allowed:
        options.append(OTHER_HUB)
    if policy.allow_local and not policy.allowed:
        options.append(LOCAL_FOLDER)
    return options


def listed_models(policy: models.Policy) -> list[str]:
    """The models the picker lists by name (no custom hub id or folder): what a comparison can use."""
    return [m for m in model_options(policy) if m not in (OTHER_HUB, LOCAL_FOLDER)]


def text_box(label: str, key: str, height: int, hint: str) -> str:
    """A text area that takes text of any length and cuts it to MAX_CHARS with a message.

    The browser is given no limit: Streamlit's box ignores, without a word, any change that
    would take it past `max_chars`, counted in UTF-16 units (an emoji is two), so a long
    paste vanished and an emoji text under the server's limit could not be typed.
    """
    text = st.session_state.get(key)
    cut = isinstance(text, str) and len(text) > MAX_CHARS
    if cut:
        st.session_state[key] = text[:MAX_CHARS]  # before the box is drawn: the box shows the cut text
    value = st.text_area(label, key=key, height=height, help=f"{hint} At most {MAX_CHARS:,} characters.")
    if cut:
        st.warning(f"The text had {len(text):,} characters, more than the limit of {MAX_CHARS:,}: only its "
                   f"first {MAX_CHARS:,} characters are kept. Shorten it to choose which part is read.",
                   icon=":material/content_cut:")
    return value


def _chosen_model(policy: models.Policy) -> str:
    """The picker and, for a custom choice, the box to type the id or folder in."""
    options = model_options(policy)
    if st.session_state.get("model_choice") not in options:
        st.session_state["model_choice"] = BUNDLED_ID
    choice = st.selectbox("Model", options, key="model_choice",
                          help="The bundled model runs offline. Hub models load from the local "
                               "Hugging Face cache, or download once where the server allows it.")
    if choice == OTHER_HUB:
        return st.text_input("Hub model id", key="model_custom", placeholder="e.g. bert-base-cased").strip()
    if choice == LOCAL_FOLDER:
        return st.text_input("Model folder", key="model_custom", placeholder="/path/to/model").strip()
    return choice


def _load(model_id: str) -> str:
    """Load the chosen model (with its size in the spinner); on failure say why, fall back to the bundled one."""
    from components import engine  # engine imports this module: import it late

    if not model_id:
        return BUNDLED_ID
    try:
        size = engine.model_info(model_id)
        with st.spinner(f"Loading {model_id} ({size})…"):
            loaded = engine.loaded_model(model_id)
    except models.SettingsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a failed load (ModelError, out of memory, ...) must not end the session
        if model_id == BUNDLED_ID:
            raise
        if not isinstance(exc, models.ModelError):
            faults.log.exception("loading %s failed", model_id)
        st.error(literal(f"{faults.message(exc)}. Showing the bundled model instead."))  # holds the typed id
        return BUNDLED_ID
    if model_id == BUNDLED_ID:
        st.caption(f"**{BUNDLED_ID}**: bundled, runs offline ({size}).")
    else:
        st.caption(f"**{literal(loaded.name)}**: {loaded.family}, {loaded.num_layers} layers x {loaded.num_heads} heads ({size}).")
    return model_id


def render() -> Settings:
    """Draw the sidebar and return the current settings."""
    from components import engine, links

    if not st.session_state.pop(links.KEEP_BROWSER_TEXT, False):  # a reconnected page brings its own sentence
        st.session_state.setdefault("text", DEFAULT_TEXT)
    with st.sidebar:
        st.markdown("### Headscope")
        policy = faults.settings_or_stop(engine.policy)
        with faults.guard("The model could not be loaded"):
            st.session_state["model"] = _load(_chosen_model(policy))
            family = engine.loaded_model(st.session_state["model"]).family
        text_box("Sentence" if family != models.ENCODER_DECODER else "Source text (encoder)", "text", 100,
                 "Type any text and press Ctrl+Enter (or click outside the box).")
        if family == models.ENCODER_DECODER:
            text_box("Target text (decoder)", "target", 80,
                     "What the decoder reads (teacher forcing); empty: the same as the source.")
            st.selectbox("Attention", list(KINDS), key="kind", format_func=KINDS.get,
                         help="Encoder self-attention (source to source), decoder self-attention "
                              "(target to earlier target tokens) or cross-attention (target to source).")
        st.toggle(
            "Whole words",
            key="whole_words",
            help="Merge word pieces into words (Clark et al. 2019): attention TO a word is "
            "the sum over its pieces, attention FROM a word is the mean over its pieces.",
        )
        st.toggle(
            "Weigh by what heads move",
            key="norm_weighted",
            help="Show alpha_ij x ||f_h(x_j)|| instead of alpha_ij: each weight times the size of what the head "
            "moves from that token (Kobayashi et al. 2020, 'Attention is not only a weight'). Shrinks the "
            "[CLS]/[SEP] sink that hides the links; the colour scale runs to the largest value. The syntax "
            "pages and the answer are scored on it too.",
        )
        st.toggle(
            "Hide special tokens",
            key="hide_special",
            help="Drop special tokens ([CLS], [SEP], <s>, </s>, ...) from both axes and rescale each "
            "row to sum to 1. Many heads park spare attention on them.",
        )
        charts.format_picker()
    return current()


def current() -> Settings:
    """The settings from the session (defaults when a page runs without the sidebar)."""
    state = st.session_state
    return Settings(
        model=state.get("model", BUNDLED_ID),
        text=state.get("text", DEFAULT_TEXT),
        whole_words=bool(state.get("whole_words", False)),
        hide_special=bool(state.get("hide_special", False)),
        target=state.get("target", "") or "",
        kind=state.get("kind", "encoder") or "encoder",
        weighting="norms" if state.get("norm_weighted") else "weights",
    )
