"""Switch heads off: the model run again without some heads, next to the intact run."""

import streamlit as st

from components import cached, faults, knockout_view, nav, state

nav.ensure_app()
s = state.current()
st.title("Switch heads off")
st.markdown(
    "Attention shows where a head looks, not whether the model needs it. Switch heads off and see "
    "what changes: the attention of the heads after them, and what the model outputs."
)
st.caption(knockout_view.EXPLAIN)
with faults.model_run():
    loaded = cached.loaded_model(s.model)
heads, ablation = knockout_view.pickers(loaded.num_layers, loaded.num_heads)
if heads:
    with faults.guard("Cannot switch these heads off"):
        result = knockout_view.knockout_result(s.model, s.text, heads, ablation)
    knockout_view.output(result)
    knockout_view.arcs(result)
    knockout_view.grids(result)
else:
    st.info("Pick one or more heads above to switch them off.")
importance = st.container()  # drawn last: on a long text it may follow a job until it is done
knockout_view.downloads(s.model, s.text, heads, ablation)
st.markdown(knockout_view.CAVEATS)
with importance:
    knockout_view.importance(s.model, s.text, ablation)
