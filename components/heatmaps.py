"""Every matrix on every page goes through here: one renderer, heatmap_grid.js (data: headscope/canvas.py).

A small canvas component of our own, not plotly: Streamlit's plotly.js chunk alone costs
about 1 s of a page's first paint (`make bench`, floor_*). Each grid gets from it hover on
every cell, clicks and keys, outlines, badges, a colour bar, zoom (a head opened large) and
PNG/SVG downloads drawn from the same layout as the page.
"""

from __future__ import annotations

import streamlit as st

from components import cached, charts, downloads, faults, links, state, streamlit_private
from components.state import Settings
from headscope import canvas
from headscope.panels import head_name, parse_head_name

_grid = charts.served_component("headscope_heatmap_grid", canvas.SCRIPT)  # hs_shared.js, then heatmap_grid.js


OPEN_HEAD = state.OPEN_HEAD
"""The head opened large on the Heads page ("L3H1", or ""): in the link as `head`."""


def new_click(key: str, data: dict | None = None) -> tuple[int, int] | None:
    """(layer, head) of a click on grid `key` made since the last call, once; None if there is none.

    The component keeps its last click as state across reruns: read through here, a click acts
    once (it opens a head, adds a head to a list) and the user can change things after it.
    """
    session = st.session_state
    raw = (session.get(key) or {}).get("head")
    if raw == session.get(f"_{key}_seen"):
        return None
    session[f"_{key}_seen"] = raw
    head = _head_of(raw)
    return head if data is None or head is None else _panel_of(data, raw)


def opened(data: dict) -> tuple[tuple[int, int] | None, bool]:
    """The head opened large from grid `data` (a new click, else the link's or the last one), and whether it was
    just clicked (then it is brought into view). Only a head of this grid counts."""
    session = st.session_state
    clicked = new_click(data["key"], data)
    if clicked is not None:
        session[OPEN_HEAD] = head_name(*clicked)
    found = parse_head_name(session.get(OPEN_HEAD) or "")
    head = _panel_of(data, {"layer": found[0], "head": found[1]}) if found else None
    return head, clicked is not None and head is not None


def show(
    data: dict, key: str, name: str, selected: tuple[int, int] | None = None, reveal: bool = False
) -> tuple[int, int] | None:
    """Mount the renderer; returns (layer, head) last clicked (a panel, or a cell of a layer x head grid), if any.

    A click sets the component's state and reruns the script, so the state is already in
    session_state when this runs: read once, it both outlines the pick and opens the head.
    """
    clickable = data.get("clickable")
    picked = selected or (_panel_of(data, (st.session_state.get(key) or {}).get("head")) if clickable else None)
    _grid(data=_for_view(data, name, picked, reveal), key=key, **_callbacks([data]))
    return picked


def _for_view(data: dict, name: str, selected: tuple[int, int] | None, reveal: bool = False, **more) -> dict:
    """A grid's data with what is this view's: its download name, the head outlined, whether to scroll to it."""
    outlined = None if selected is None else {"layer": selected[0], "head": selected[1]}
    return dict(data, file=charts.file_name(name), selected=outlined, reveal=reveal, **more)


def _callbacks(grids: list[dict]) -> dict:
    """The component's state a rerun follows: a click (a grid that can be clicked), a zoom (one that zooms)."""
    callbacks = {}
    if any(g.get("clickable") for g in grids):
        callbacks["on_head_change"] = lambda: None
    if any(g.get("zoomable") for g in grids):
        callbacks["on_zoom_change"] = lambda: None
    return callbacks


def row(
    grids: list[dict],
    key: str,
    names: list[str],
    headings: list[str] | None = None,
    widths: list[float] | None = None,
    selected: tuple[int, int] | None = None,
) -> None:
    """Grids side by side in one element, each under its heading (plain text), with its own downloads.

    One mount for a row of figures: Streamlit columns cost a block each and an element and a mount
    per figure (Inside a head drew 11 grids in 12 components and 18 blocks; each element is work
    for the server on every view, and for the browser on every fresh tab). A click on any grid of
    the row is the row's `head`: read it with `new_click(key)` and check it against the grid it
    may have come from (Compare's statistics: A's and B's, of models of other sizes).
    """
    drawn = [
        _for_view(data, name, selected, heading=heading)
        for data, name, heading in zip(grids, names, headings or [""] * len(grids), strict=True)
    ]
    _grid(data={"row": drawn, "widths": list(widths or [1] * len(grids))}, key=key, **_callbacks(grids))


def _head_of(raw) -> tuple[int, int] | None:
    """(layer, head) of what the browser sent, if it is {"layer": int, "head": int} (not bool, float or text)."""
    if not isinstance(raw, dict):
        return None
    layer, number = raw.get("layer"), raw.get("head")
    return (layer, number) if type(layer) is int and type(number) is int else None


def _panel_of(data: dict, head) -> tuple[int, int] | None:
    """(layer, head) of a click the browser reported, if it names a panel of this grid.

    The state outlives the grid: a head clicked in a 6-layer model is still reported after
    a switch to a 2-layer one (or from encoder to a shorter decoder); and the browser could
    send anything.
    """
    head = _head_of(head)
    if head is None:
        return None
    layer, number = head
    if data.get("clickable") == "cell":  # a layer x head grid: a cell is a head
        return (layer, number) if 0 <= layer < data["rows"] and 0 <= number < data["cols"] else None
    if not any(p["layer"] == layer and p["head"] == number for p in data["panels"]):
        return None
    return layer, number


Marks = tuple[dict, dict]
"""(badges, outlines) per head, see headscope.canvas.marked."""


def layer_grid(s: Settings, layer: int, marks: Marks = ({}, {})) -> None:
    """The heads of one layer side by side, with their badges and outlined arcs; a click opens a head below."""
    with faults.guard("Cannot draw the heatmaps"):
        data = dict(canvas.marked(cached.layer_canvas(s, layer), *marks), clickable="panel", key=f"layer_grid_{layer}")
    head, fresh = opened(data)
    show(data, key=data["key"], name=f"layer{layer}", selected=head)
    if head is not None:
        head_large(s, *head, reveal=fresh, marks=marks)


@st.fragment
def layer_view(s: Settings, num_layers: int, marks: Marks = ({}, {})) -> None:
    """The layer slider and its heads: moving the slider reruns only this part of the page.

    Defined here, not in the page, and given the settings, not the attention: Streamlit keeps
    a fragment (its arguments, and a page function's globals) with the session, also for two
    minutes after it disconnects, so it must not hold the text's arrays (72 MB at 512 tokens);
    `marks` (badges and outlined cells, see `layer_grid`) are a few small tuples.
    """
    links.check_range(state.LAYER, num_layers, "layer")
    if st.session_state.get(OPEN_HEAD):  # a head from a link, or one opened in another model
        links.check_head(OPEN_HEAD, num_layers, cached.attention_view(s).num_heads)
    layer = st.select_slider("Layer", options=list(range(num_layers)), key=state.LAYER)
    layer_grid(s, layer, marks)
    downloads.attention_buttons(s, layer)
    if streamlit_private.fragment_rerun():  # app.py is skipped: keep the address bar and the share box in step here
        links.sync()
        links.refresh_share_box()


def model_grid(s: Settings, marks: Marks = ({}, {})) -> None:
    """Every head as a small heatmap, with badges and outlined arcs; a clicked one opens large below, in view."""
    with faults.guard("Cannot draw the heatmaps"):
        data = dict(canvas.marked(cached.model_canvas(s), *marks), key="model_grid")
        att = cached.attention_view(s)
    links.check_head(OPEN_HEAD, att.num_layers, att.num_heads)
    head, fresh = opened(data)
    show(data, key="model_grid", name="all-layers", selected=head)
    if head is not None:
        head_large(s, *head, reveal=fresh, marks=marks)


def head_large(
    s: Settings,
    layer: int,
    head: int,
    title: bool = True,
    key: str = "head_large",
    reveal: bool = False,
    marks: Marks = ({}, {}),
) -> None:
    """One head, large, with hover on every cell; drag over cells (or + and -) to zoom into a window of the text.

    `marks`: the badge and outlined arcs its small panel has (`layer_grid`). `reveal`: just opened, so it is
    brought into view and takes the keyboard focus.
    """
    if title:
        st.subheader(head_name(layer, head))
    with faults.guard("Cannot draw the heatmaps"):
        att = cached.attention_view(s)
        window = canvas.clamp_window((st.session_state.get(key) or {}).get("zoom"), att.num_tokens, att.num_keys)
        data = cached.head_canvas(s, layer, head, window)
        if marks[0] or marks[1]:
            data = canvas.marked(data, *marks)
    show(data, key=key, name=head_name(layer, head), reveal=reveal)
    if window:
        r0, c0, r1, c1 = window
        st.caption(
            f"Zoomed in: rows {r0}–{r1}, columns {c0}–{c1} of {att.num_tokens} tokens. "
            "Press 0 on the heatmap, or *Reset zoom*, to see the whole head."
        )
