"""Heads: every head of a layer (or of the model) as a heatmap, side by side."""

import streamlit as st

from components import downloads, engine, faults, heatmaps, nav, sidebar
from components.text import HEATMAP_HELP, TOUR

nav.ensure_app()
s = sidebar.current()
st.title("Heads")
st.markdown(
    "Each square is one attention head: row = the token that attends, column = the token "
    "it attends to, brighter = more attention. Layers and heads are numbered from 0 "
    "(**L2H3** is layer 2, head 3)."
)
with st.expander("What is an attention head, and how do I read these heatmaps?"):
    st.markdown(HEATMAP_HELP)
with st.expander("New here? A five-step tour", icon=":material/school:"):
    st.markdown(TOUR)

with faults.model_run():
    att = engine.attention_view(s)
if att.dropped:
    st.warning(
        f"The text is longer than the model accepts ({att.num_tokens + att.dropped} tokens, "
        f"limit {engine.loaded_model(s.model).max_tokens}): the last {att.dropped} tokens were dropped."
    )

if st.toggle("All layers at once", key="all_layers"):
    st.caption(f"{att.num_layers} layers x {att.num_heads} heads. Click a head to open it large.")
    clicked = heatmaps.model_grid(s)
    if clicked is not None:
        heatmaps.head_large(s, *clicked)
    downloads.attention_buttons(s, None)
else:
    heatmaps.layer_view(s, att.num_layers)
downloads.report_button(s, key="report_heads")
