"""Compare: two sentences in the same heads, or one sentence in two models."""

from dataclasses import replace

import streamlit as st

from components import cached, compare_view, faults, heatmaps, links, nav, sidebar, state
from headscope import models
from headscope.errors import ModelError

nav.ensure_app()
s = state.current()
st.title("Compare")
st.markdown(
    "Set two views side by side: the same heads reading two sentences (does the subject head "
    "still find *cats* when a relative clause stands between it and *sat*?), or one sentence "
    "in two models. The tabs below them hold their difference (token by token when both have as many "
    "tokens, else over the words both share), every head's numbers for A and B side by side, and "
    "the heads ranked by how well they follow each relation."
)
mode = st.radio(
    "Compare",
    links.CHOICES["cmode"],
    horizontal=True,
    key=state.COMPARE_MODE,
    format_func={"sentences": "Two sentences, same model", "models": "Same sentence, two models"}.get,
)
if mode == "sentences":
    st.session_state.setdefault(state.COMPARE_TEXT, "The cats that the dog chased sat.")
    other = sidebar.text_box("Second sentence", state.COMPARE_TEXT, 70, "Press Ctrl+Enter (or click outside the box).")
    second = replace(s, text=other)
    names = (f"A: {s.text}", f"B: {other}")
else:
    options = sidebar.listed_models(cached.policy())
    pick = st.selectbox(
        "Second model",
        options,
        key=state.COMPARE_MODEL,
        index=min(1, len(options) - 1) if s.model == models.BUNDLED_ID else 0,
    )
    try:
        with st.spinner(f"Loading {pick}…"):
            cached.loaded_model(pick)
    except ModelError as exc:
        st.warning(f"{exc}.")
        st.stop()
    second = replace(s, model=pick)
    names = (f"A: {s.model}", f"B: {pick}")

with faults.guard("Cannot compare"):
    a, b = cached.attention_view(s), cached.attention_view(second)

layers = min(a.num_layers, b.num_layers)
links.check_range(state.COMPARE_LAYER, layers, "layer")
layer = st.select_slider("Layer", options=list(range(layers)), key=state.COMPARE_LAYER)
heatmaps.row(
    [cached.layer_canvas(setting, layer) for setting in (s, second)],  # cached, as on Heads
    key="compare_ab",
    names=[f"compare_{side}-layer{layer}" for side in "ab"],
    headings=[name[:120] for name in names],
)

links.default(state.COMPARE_TAB, state.COMPARE_TABS[0])
difference, numbers, ranking = st.tabs(state.COMPARE_TABS, key=state.COMPARE_TAB, on_change="rerun")
if difference.open:
    with difference:
        compare_view.difference(s, second, a, b, layer, mode)
if numbers.open:
    with numbers:
        compare_view.statistics(s, second)
if ranking.open:
    with ranking:
        compare_view.rankings(names, (s, second))
