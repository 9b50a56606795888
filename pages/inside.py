"""Inside a head: multi-head attention computed step by step from the model's own weights."""

import streamlit as st

from components import cached, faults, inside_view, nav, state
from headscope.errors import UnsupportedModel

nav.ensure_app()
s = state.current()
st.title("Inside a head")
st.markdown(
    "Attention is softmax(Q K^T / sqrt(d_k)) V: each head projects every token into its own query, "
    "key and value, scores every query against every key, turns the scores into weights with a "
    "softmax and sums the values with them. Here is every step with the model's real numbers."
)
loaded = cached.loaded_model(s.model)
layer, head = inside_view.pickers(loaded.num_layers, loaded.num_heads)
with faults.guard("Cannot take this head apart"):
    try:
        parts = cached.head_parts(s.model, s.text, layer, head)
        steps = cached.inside_canvas(s.model, s.text, layer, head)
    except UnsupportedModel as exc:
        st.warning(f"This page {exc}. The other pages work with this model.")
        st.stop()

inside_view.check(parts)
inside_view.inputs(parts, steps)
inside_view.projections(parts, steps)
inside_view.scores(parts, steps)
inside_view.one_query(s.model, s.text, layer, head)
inside_view.output(parts, steps, loaded.num_heads)
