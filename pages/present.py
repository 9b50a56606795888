"""Presentation mode: one head or one layer filling the screen, for a projector; arrow keys move."""

import streamlit as st

from components import answer_view, cached, faults, heatmaps, links, nav, quiz_view, state
from components.text import literal
from headscope import canvas
from headscope.panels import head_name

nav.ensure_app()
st.set_page_config(initial_sidebar_state="collapsed", layout="wide")  # fold the sidebar: the figure gets the screen
nav.compact_page()
s = state.current()
with faults.model_run():
    att = cached.attention_view(s)

links.check_range("present_layer", att.num_layers, "layer")
links.check_range("present_head", att.num_heads, "head")
state = st.session_state
state.setdefault("present_unit", "head")
state.setdefault("present_layer", 0)
state.setdefault("present_head", 0)
shape = (att.num_layers, att.num_heads)
nav.jump_to_clicked("present_figure", "present_jump")  # a head clicked in the layer, or in the picker

back, unit, jump, share, forward = st.columns([2, 3, 2, 2, 2], vertical_alignment="center")
back.button(
    "Previous",
    icon=":material/arrow_back:",
    on_click=nav.step,
    args=(-1, *shape),
    shortcut="Left",
    key="present_prev",
    width="stretch",
    help="Left arrow",
)
forward.button(
    "Next",
    icon=":material/arrow_forward:",
    on_click=nav.step,
    args=(1, *shape),
    shortcut="Right",
    key="present_next",
    width="stretch",
    help="Right arrow",
)
with unit:
    one, all_ = st.columns(2)
    one.button(
        "One head",
        key="present_one_head",
        on_click=nav.show_unit,
        args=("head",),
        shortcut="h",
        type="primary" if state["present_unit"] == "head" else "secondary",
        width="stretch",
        help="Key: H",
    )
    all_.button(
        "One layer",
        key="present_one_layer",
        on_click=nav.show_unit,
        args=("layer",),
        shortcut="l",
        type="primary" if state["present_unit"] == "layer" else "secondary",
        width="stretch",
        help="Key: L",
    )
# the picker and the link are drawn only while their popover is open: every view of a shared link pays nothing
jump_box = jump.popover(
    "Jump to a head", icon=":material/apps:", width="stretch", key="present_jump_open", on_change="rerun"
)
with jump_box:
    st.caption("Click a head (layers down, heads across).")
    if jump_box.open:
        picker = canvas.heads_grid(
            [[0.0] * att.num_heads for _ in range(att.num_layers)],
            "",
            canvas.Scale("", kind="categorical", categories=(("head", "#9aa4b1"),)),
            text=[[f"H{h}" for h in range(att.num_heads)] for _ in range(att.num_layers)],
            hover=[[head_name(layer, h) for h in range(att.num_heads)] for layer in range(att.num_layers)],
        )
        heatmaps.show(
            dict(picker, blurOnPick=True),
            key="present_jump",
            name="heads",
            selected=(state["present_layer"], state["present_head"]),
        )
share_box = share.popover("Share", icon=":material/link:", width="stretch", key="present_share_open", on_change="rerun")
with share_box:
    if share_box.open:
        links.share_link()

layer, head = state["present_layer"], state["present_head"]
badges, outlines, found = answer_view.marks(s, att, answer_view.chosen_relation())
if state["present_unit"] == "layer":
    data = cached.present_canvas(s, layer, None)
    name, title = f"layer{layer}", f"Layer {layer}"
else:
    data = cached.present_canvas(s, layer, head)
    name, title = head_name(layer, head), f"{head_name(layer, head)} \u00b7 layer {layer}, head {head}"
st.markdown(f"#### {title} \u00b7 “{literal(s.text[:200])}”")
if state["present_unit"] == "head":  # the heading names it: the panel's own title would take room from the rows
    data = dict(data, panels=[dict(p, name="") for p in data["panels"]])
heatmaps.show(canvas.marked(data, badges, outlines), key="present_figure", name=f"present-{name}")
st.caption(
    "Rows attend from, columns attend to. \u2190 \u2192 move; H one head, L one layer; click a head "
    "of the layer to show it alone."
)
if found is not None:
    st.caption(literal(found.text()))
quiz_view.start_control(s, att.num_layers, att.num_heads)  # Guess the head: start a class, get its code and link
quiz_view.class_tally(s)  # and its guesses, live, while a class runs (started here, or named by the link)
