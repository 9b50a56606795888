"""Heatmap grids on the page: one layer, every layer (clickable), one head large.

The two grids are drawn by a small canvas component of our own (heatmap_grid.js), not plotly:
they are the first thing the Heads page shows, and Streamlit's plotly.js chunk alone costs
about 1 s of a page's first paint (`make bench`, floor_*). The head opened large stays a plotly
figure, with its toolbar.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import charts, downloads, engine, faults, links
from components.sidebar import Settings
from headscope import canvas
from headscope.figures import head_name

_HERE = Path(__file__).parent
_grid = st.components.v2.component(
    "headscope_heatmap_grid",
    js=(_HERE / "heatmap_grid.js").read_text(encoding="utf-8"),
    css=(_HERE / "heatmap_grid.css").read_text(encoding="utf-8"),
    isolate_styles=False,  # the page's fonts and colours; its classes all start with hs-
)


def _draw(data: dict, key: str, name: str, clickable: bool = False) -> tuple[int, int] | None:
    """Mount the canvas grid; returns (layer, head) of the panel last clicked, if any.

    A click sets the component's state and reruns the script, so the state is already in
    session_state when this runs: read once, it both outlines the panel and opens the head.
    """
    picked = _panel_of(data, (st.session_state.get(key) or {}).get("head")) if clickable else None
    selected = None if picked is None else {"layer": picked[0], "head": picked[1]}
    callbacks = {"on_head_change": lambda: None} if clickable else {}
    _grid(data=dict(data, file=charts.file_name(name), selected=selected), key=key, **callbacks)
    return picked


def _panel_of(data: dict, head) -> tuple[int, int] | None:
    """(layer, head) of a click the browser reported, if it names a panel of this grid.

    The state outlives the grid: a head clicked in a 6-layer model is still reported after
    a switch to a 2-layer one (or from encoder to a shorter decoder); and the browser could
    send anything.
    """
    if not isinstance(head, dict):
        return None
    layer, number = head.get("layer"), head.get("head")
    if type(layer) is not int or type(number) is not int:  # not bool, float or text
        return None
    if not any(p["layer"] == layer and p["head"] == number for p in data["panels"]):
        return None
    return layer, number


Marks = tuple[dict, dict]
"""(badges, outlines) per head, see headscope.canvas.marked."""


def layer_grid(s: Settings, layer: int, marks: Marks = ({}, {})) -> None:
    """The heads of one layer side by side, with their badges and outlined arcs."""
    with faults.guard("Cannot draw the heatmaps"):
        data = canvas.marked(engine.layer_canvas(s, layer), *marks)
    _draw(data, key=f"layer_grid_{layer}", name=f"layer{layer}")


@st.fragment
def layer_view(s: Settings, num_layers: int, marks: Marks = ({}, {})) -> None:
    """The layer slider and its heads: moving the slider reruns only this part of the page.

    Defined here, not in the page, and given the settings, not the attention: Streamlit keeps
    a fragment (its arguments, and a page function's globals) with the session, also for two
    minutes after it disconnects, so it must not hold the text's arrays (72 MB at 512 tokens);
    `marks` (badges and outlined cells, see `layer_grid`) are a few small tuples.
    """
    links.check_range("layer", num_layers, "layer")
    layer = st.select_slider("Layer", options=list(range(num_layers)), key="layer")
    layer_grid(s, layer, marks)
    downloads.attention_buttons(s, layer)
    links.sync()  # a fragment's rerun skips app.py: keep the address bar and the share box in step here
    links.refresh_share_box()


def model_grid(s: Settings, marks: Marks = ({}, {})) -> tuple[int, int] | None:
    """Every head as a small heatmap, with badges and outlined arcs; returns (layer, head) of a clicked one."""
    with faults.guard("Cannot draw the heatmaps"):
        data = canvas.marked(engine.model_canvas(s), *marks)
    return _draw(data, key="model_grid", name="all-layers", clickable=True)


def head_large(s: Settings, layer: int, head: int, title: bool = True) -> None:
    """One head, large, with hover on every cell."""
    if title:
        st.subheader(head_name(layer, head))
    with faults.guard("Cannot draw the heatmaps"):
        fig = engine.head_figure(s, layer, head)
    charts.show(fig, key="head_large", name=head_name(layer, head), width="content")
