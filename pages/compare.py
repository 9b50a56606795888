"""Compare: two sentences in the same heads, or one sentence in two models."""

from dataclasses import replace

import streamlit as st

from components import answer_view, cached, faults, heatmaps, links, nav, sidebar, state, syntax_view
from components.text import literal
from headscope import models
from headscope.errors import ModelError

nav.ensure_app()
s = state.current()
st.title("Compare")
st.markdown(
    "Set two views side by side: the same heads reading two sentences (does the subject head "
    "still find *cats* when a relative clause stands between it and *sat*?), or one sentence "
    "in two models. Where both have the same tokens, the difference is drawn too."
)
mode = st.radio(
    "Compare",
    links.CHOICES["cmode"],
    horizontal=True,
    key="compare_mode",
    format_func={"sentences": "Two sentences, same model", "models": "Same sentence, two models"}.get,
)
if mode == "sentences":
    st.session_state.setdefault("compare_text", "The cats that the dog chased sat.")
    other = sidebar.text_box("Second sentence", "compare_text", 70, "Press Ctrl+Enter (or click outside the box).")
    second = replace(s, text=other)
    names = (f"A: {s.text}", f"B: {other}")
else:
    options = sidebar.listed_models(cached.policy())
    pick = st.selectbox(
        "Second model",
        options,
        key="compare_model",
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
links.check_range("compare_layer", layers, "layer")
layer = st.select_slider("Layer", options=list(range(layers)), key="compare_layer")
for column, name, setting, key in zip(st.columns(2), names, (s, second), ("compare_a", "compare_b")):
    with column:
        st.markdown(f"**{literal(name[:120])}**")
        heatmaps.show(cached.layer_canvas(setting, layer), key=key, name=f"{key}-layer{layer}")  # cached, as on Heads

st.subheader("Difference (A minus B)")
if a.weights.shape[1:] == b.weights.shape[1:]:
    heatmaps.show(cached.difference_canvas(s, second, layer), key="compare_diff", name=f"difference-layer{layer}")
    st.caption("Red: A attends more; blue: B attends more. Where the tokens differ, the label shows both (A/B).")
else:
    st.caption(
        f"Not drawn: the shapes differ ({a.num_tokens} tokens x {a.num_heads} heads vs {b.num_tokens} "
        f"tokens x {b.num_heads} heads). A difference needs as many tokens and heads on both sides"
        + (
            " (Whole words in the sidebar may line two models' tokens up)."
            if mode == "models"
            else ": try two sentences of the same length, such as 'The cat sat.' and 'The dog ran.'"
        )
    )

st.subheader("Head ranking of both")
relation = syntax_view.relation_picker()
cols = st.columns(2)
for col, name, setting in zip(cols, names, (s, second)):
    with col:
        st.markdown(f"**{literal(name[:80])}**")
        try:
            rs = cached.sentence_syntax(setting.model, setting.text).relations[relation]
        except Exception as exc:  # noqa: BLE001 - a bad text, a parser failure: say so, draw the other side
            faults.report(exc, "Cannot rank the heads")
            continue
        if not rs.arcs:
            st.caption(f"No {relation} arc here.")
            continue
        st.markdown(syntax_view.describe_baseline(rs))
        syntax_view.ranking_table(
            rs,
            cached.positional_heads(setting.model, setting.text),
            syntax_view.following_heads(answer_view.corpus_atlas(setting), relation),
            rows=6,
        )
