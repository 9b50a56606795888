"""Heads: every head of a layer (or of the model) as a heatmap, side by side."""

import streamlit as st

from components import answer_view, cached, downloads, faults, heatmaps, links, nav, state
from components.text import HEATMAP_HELP, TOUR
from headscope.panels import REPEATED_NOTE
from headscope.wording import dropped_note

nav.ensure_app()
s = state.current()
st.title("Heads")
st.markdown(
    "Each square is one attention head: row = the token that attends, column = the token "
    "it attends to, brighter = more attention. Layers and heads are numbered from 0 "
    "(**L2H3** is layer 2, head 3)."
)
help_column, tour_column = st.columns(2)
with help_column.expander("What is an attention head, and how do I read these heatmaps?"):
    st.markdown(HEATMAP_HELP)
with tour_column.expander("New here? A five-step tour", icon=":material/school:"):
    st.markdown(TOUR)

with faults.model_run():
    att = cached.attention_view(s)
if att.dropped:
    st.warning(
        f"The text is longer than the model accepts ({att.num_tokens + att.dropped} tokens, "
        f"limit {cached.loaded_model(s.model).max_tokens}): {dropped_note(att.dropped)}."
    )


picker_column, answer_column = st.columns([1, 2])
with picker_column:
    relation = answer_view.link_picker()
badges, outlines, found = answer_view.marks(s, att, relation)
with answer_column:
    answer_view.answer_line(found)
if found is not None and found.focus is not None:
    links.default(state.LAYER, found.focus[0])  # open on the layer of the head the answer names

if st.toggle("All layers at once", key=state.ALL_LAYERS):
    st.caption(
        f"{att.num_layers} layers x {att.num_heads} heads. Click a head (or Tab to it and press Enter) "
        "to open it large."
    )
    heatmaps.model_grid(s, (badges, outlines))
    downloads.attention_buttons(s, None)
else:
    heatmaps.layer_view(s, att.num_layers, (badges, outlines))
if len(set(att.tokens)) < len(att.tokens):
    st.caption(REPEATED_NOTE)
downloads.report_button(s, key="report_heads")
