"""Attention rollout: which input tokens feed each position, through all the layers so far."""

import streamlit as st

from components import cached, faults, heatmaps, links, nav, plotly_chart, state
from headscope.panels import token_labels

nav.ensure_app()
s = state.current()
st.title("Attention rollout")
st.markdown(
    "One layer's attention only says where a token looks in that layer. Rollout (Abnar & Zuidema "
    "2020) follows the flow through the layers: average the heads, add the residual connection "
    "(0.5 A + 0.5 I), rescale each row to 1, and multiply the layers together."
)
with faults.model_run():
    raw = cached.attention_view(s)
    if raw.square:
        cached.rollout_view(s)  # computed under the guard: a failure reads as the model's
if not raw.square:
    st.info(
        "Rollout follows self-attention through the layers; cross-attention has none to follow. "
        "Pick encoder or decoder self-attention in the sidebar."
    )
    st.stop()

layers = list(range(raw.num_layers))
links.check_range(state.ROLLOUT_LAYER, raw.num_layers, "layer")
st.session_state.setdefault(state.ROLLOUT_LAYER, layers[-1])  # the whole model, to start with
layer = st.select_slider("Up to layer", options=layers, key=state.ROLLOUT_LAYER)
grids = cached.rollout_canvas(s, layer)
heatmaps.row(
    [grids["raw"], grids["rolled"]], key="rollout_grids", names=[f"layer{layer}-mean", f"rollout-layer{layer}"]
)

names = token_labels(raw.tokens)  # widgets show plain text
q = st.selectbox(
    "Which input tokens feed this token?",
    range(len(names)),
    format_func=names.__getitem__,
    key="rollout_token",
    index=min(2, len(names) - 1),
)
plotly_chart.show(cached.rollout_bars(s, layer, q), key="rollout_bars", name=f"rollout-layer{layer}-token{q}")
st.caption(
    "The sidebar's Whole words and Hide special tokens apply to the rolled-out matrix after "
    "it is computed on the model's own tokens."
)
