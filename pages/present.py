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

links.check_range(state.PRESENT_LAYER, att.num_layers, "layer")
links.check_range(state.PRESENT_HEAD, att.num_heads, "head")
if quiz_view.answer_held_back():  # a class is guessing: the projected figure gives nothing away
    badges, outlines, found = {}, {}, None
else:
    badges, outlines, found = answer_view.marks(s, att, answer_view.chosen_relation())
session = st.session_state
session.setdefault(state.PRESENT_UNIT, "head")
focus = found.focus if found is not None and found.focus is not None else (0, 0)
links.default(state.PRESENT_LAYER, focus[0])  # opens on the answer's head, unless the link names another
links.default(state.PRESENT_HEAD, focus[1])
shape = (att.num_layers, att.num_heads)
nav.jump_to_clicked("present_figure", "present_jump")  # a head clicked in the layer, or in the picker

# one compact row of controls (on a phone, icons only: nav.compact_controls)
controls = st.container(horizontal=True, gap="small", key=nav.CONTROLS)
controls.button(
    "Previous",
    icon=":material/arrow_back:",
    on_click=nav.step,
    args=(-1, *shape),
    shortcut="Left",
    key="present_prev",
    width="stretch",
    help="Left arrow",
)
for unit, label, icon, key in (
    ("head", "One head", ":material/crop_square:", "h"),
    ("layer", "One layer", ":material/grid_view:", "l"),
):
    controls.button(
        label,
        icon=icon,
        key=f"present_one_{unit}",
        on_click=nav.show_unit,
        args=(unit,),
        shortcut=key,
        type="primary" if session[state.PRESENT_UNIT] == unit else "secondary",
        width="stretch",
        help=f"Key: {key.upper()}",
    )
# the picker and the link are drawn only while their popover is open: every view of a shared link pays nothing
jump_box = controls.popover(
    "Jump to a head", icon=":material/apps:", width="stretch", key="present_jump_open", on_change="rerun"
)
share_box = controls.popover(
    "Share", icon=":material/link:", width="stretch", key="present_share_open", on_change="rerun"
)
controls.button(
    "Next",
    icon=":material/arrow_forward:",
    on_click=nav.step,
    args=(1, *shape),
    shortcut="Right",
    key="present_next",
    width="stretch",
    help="Right arrow",
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
            selected=(session[state.PRESENT_LAYER], session[state.PRESENT_HEAD]),
        )
with share_box:
    if share_box.open:
        links.share_link()

layer, head = session[state.PRESENT_LAYER], session[state.PRESENT_HEAD]
if session[state.PRESENT_UNIT] == "layer":
    data = cached.present_canvas(s, layer, None)
    name, title = f"layer{layer}", f"Layer {layer}"
else:
    data = cached.present_canvas(s, layer, head)
    name, title = head_name(layer, head), f"{head_name(layer, head)} \u00b7 layer {layer}, head {head}"
st.markdown(f"#### {title} \u00b7 “{literal(s.text[:200])}”")
if session[state.PRESENT_UNIT] == "head":  # the heading names it: the panel's own title would take room from the rows
    data = dict(data, panels=[dict(p, name="") for p in data["panels"]])
data = canvas.marked(data, badges, outlines)
if found is not None:  # the answer beside the figure where there is room (the renderer measures), else under it
    data = dict(data, aside=found.text())
heatmaps.show(data, key="present_figure", name=f"present-{name}")
st.caption(
    "Rows attend from, columns attend to. \u2190 \u2192 move; H one head, L one layer; click a head "
    "of the layer to show it alone."
)
quiz_view.start_control(s, att.num_layers, att.num_heads)  # Guess the head: start a class, get its code and link
quiz_view.class_tally(s)  # and its guesses, live, while a class runs (started here, or named by the link)
