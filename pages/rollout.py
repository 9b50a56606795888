"""Attention rollout: which input tokens feed each position, through all the layers so far."""

import streamlit as st

from components import cached, charts, faults, heatmaps, links, nav, state
from headscope import canvas, figures
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
    rolled = cached.rollout_view(s) if raw.square else None
if not raw.square:
    st.info(
        "Rollout follows self-attention through the layers; cross-attention has none to follow. "
        "Pick encoder or decoder self-attention in the sidebar."
    )
    st.stop()

layers = list(range(raw.num_layers))
links.check_range("rollout_layer", raw.num_layers, "layer")
st.session_state.setdefault("rollout_layer", layers[-1])  # the whole model, to start with
layer = st.select_slider("Up to layer", options=layers, key="rollout_layer")
toks = list(raw.tokens)
left, right = st.columns(2)
with left:
    heatmaps.show(
        canvas.matrix_data(
            raw.weights[layer].mean(0),
            toks,
            toks,
            f"layer {layer} alone: attention averaged over heads",
            canvas.weights(1.0),
            row_title="attends from",
            col_title="attends to",
            value_name="weight",
            number="fixed",
        ),
        key="rollout_raw",
        name=f"layer{layer}-mean",
    )
with right:
    heatmaps.show(
        canvas.matrix_data(
            rolled.weights[layer, 0],
            toks,
            toks,
            f"rollout through layers 0-{layer}" if layer else "rollout through layer 0",
            canvas.Scale("share"),
            row_title="position",
            col_title="input token",
            value_name="share",
            number="fixed",
        ),
        key="rollout_rolled",
        name=f"rollout-layer{layer}",
    )

labels = figures.axis_labels(toks)
names = token_labels(toks)  # widgets show plain text; `labels` are escaped for plotly
q = st.selectbox(
    "Which input tokens feed this token?",
    range(len(toks)),
    format_func=names.__getitem__,
    key="rollout_token",
    index=min(2, len(toks) - 1),
)
charts.show(
    figures.bars_figure(
        toks,
        {
            f"rollout after layer {layer}": rolled.weights[layer, 0, q],
            f"layer {layer} alone (mean of heads)": raw.weights[layer, :, q].mean(0),
        },
        f"What feeds {labels[q]} at layer {layer}",
    ),
    key="rollout_bars",
    name=f"rollout-layer{layer}-token{q}",
)
st.caption(
    "The sidebar's Whole words and Hide special tokens apply to the rolled-out matrix after "
    "it is computed on the model's own tokens."
)
