"""Presentation mode: one head or one layer filling the screen, with arrow-key navigation."""

import streamlit as st

from components import engine, faults, heatmaps, links, nav, sidebar
from components.text import literal
from headscope.panels import head_name

nav.ensure_app()
st.set_page_config(initial_sidebar_state="collapsed")  # fold the sidebar: the figure gets the screen
s = sidebar.current()
st.html("<style>section[data-testid='stMain'] h1{font-size:3rem} "
        "section[data-testid='stMain'] p{font-size:1.35rem}</style>")
with faults.model_run():
    att = engine.attention_view(s)

links.check_range("present_layer", att.num_layers, "layer")
links.check_range("present_head", att.num_heads, "head")
state = st.session_state
state.setdefault("present_unit", "head")
state.setdefault("present_layer", 0)
state.setdefault("present_head", 0)


left, middle, right = st.columns([1, 4, 1])
shape = (att.num_layers, att.num_heads)
left.button("Previous", icon=":material/arrow_back:", on_click=nav.step, args=(-1, *shape), shortcut="Left",
            key="present_prev", width="stretch")
right.button("Next", icon=":material/arrow_forward:", on_click=nav.step, args=(1, *shape), shortcut="Right",
             key="present_next", width="stretch")
with middle:
    st.segmented_control("Show", links.CHOICES["present"], key="present_unit",
                         format_func={"head": "One head", "layer": "One layer"}.get)

layer, head = state["present_layer"], state["present_head"]
if state["present_unit"] == "layer":
    st.title(f"Layer {layer}")
    data = engine.present_canvas(s, layer, None)
    name = f"layer{layer}"
else:
    st.title(head_name(layer, head))
    data = engine.present_canvas(s, layer, head)
    name = head_name(layer, head)
st.markdown(f"“{literal(s.text[:200])}”  ·  rows attend from, columns attend to  ·  ← → to move")
heatmaps.show(data, key="present_figure", name=f"present-{name}")
