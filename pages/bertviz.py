"""bertviz: its head view and model view, drawn with no network."""

import streamlit as st

from components import cached, faults, links, nav, state
from components.sandboxed_frame import sandboxed_frame
from headscope import bertviz_views

nav.ensure_app()
s = state.current()
st.title("bertviz views")
st.markdown(
    "Jesse Vig's bertviz draws attention as lines between tokens: the **head view** shows "
    "one layer's heads in colour (hover a token to see where it looks), the **model view** "
    "every layer and head as thumbnails (click one to enlarge it). Here they draw offline: "
    "their libraries come from this app, not from a CDN."
)
with faults.model_run():
    att = cached.attention_view(s)

view = st.radio(
    "View",
    links.CHOICES["bview"],
    horizontal=True,
    key=state.BERTVIZ_VIEW,
    format_func={"head": "Head view", "model": "Model view", "neuron": "Neuron view"}.get,
)
if view == "neuron":
    st.info(
        "bertviz's neuron view needs bertviz's own copies of BERT and GPT-2 (its "
        "`transformers_neuron_view` classes) loaded with their weights, not the model loaded "
        "here, so it is not offered. The **Inside a head** page shows the same thing, the "
        "queries and keys behind each weight, for the model you picked."
    )
    st.stop()
try:
    bertviz_views.check_size(att)  # too long even for one layer: say so before drawing a control
except bertviz_views.TooLarge as exc:
    st.warning(f"{exc}.")
    st.stop()
layer = None
links.check_range(state.BERTVIZ_LAYER, att.num_layers, "layer")  # also in the model view, which draws every layer
if bertviz_views.one_layer(att, view):  # the one layer control (bertviz's own menu is left out)
    layer = st.select_slider("Layer", options=list(range(att.num_layers)), key=state.BERTVIZ_LAYER)
layers = bertviz_views.plan(att, layer, view)
page = bertviz_views.build(att, view, layer, dark=st.context.theme.type == "dark")
if view == "model" and len(layers) < att.num_layers:
    st.caption(
        f"{att.num_tokens} tokens: only layer {layer} is drawn (all {att.num_layers} layers would "
        f"exceed {bertviz_views.MAX_CELLS:,} weights). Pick the layer above."
    )
height = 140 + 22 * att.num_tokens if view == "head" else 120 + 115 * len(layers)
# a real sandbox (scripts, no same-origin): bertviz's page cannot reach the app's page or cookies
sandboxed_frame(page, height=min(height, 4000), title=f"bertviz {view} view", key="bertviz_frame")
