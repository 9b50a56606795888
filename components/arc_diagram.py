"""The Syntax heads page's arc diagram: the parse drawn by arc_diagram.js (data: headscope/arcs.py).

An SVG component of our own, not plotly: Streamlit's plotly.js chunk alone cost the page over a
second of its first paint. A click (or Enter) on an arc reports its relation as the component's
state, `pick`: {"relation", "at"} (`at` tells two clicks on the same arc apart).
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from components import charts
from headscope import arcs

_arcs = charts.served_component("headscope_arc_diagram", arcs.ARC_SCRIPT)  # hs_shared.js, then arc_diagram.js


def picked(key: str) -> str | None:
    """The relation of the arc last clicked in diagram `key` (what the browser sent, if it is text)."""
    raw = (st.session_state.get(key) or {}).get("pick")
    relation = raw.get("relation") if isinstance(raw, dict) else None
    return relation if isinstance(relation, str) else None


def show(data: dict, key: str, name: str, on_pick: Callable[[], None]) -> None:
    """Mount the diagram; `on_pick` runs (before the rerun) when an arc is clicked."""
    _arcs(data=dict(data, file=charts.file_name(name), clickable=True), key=key, on_pick_change=on_pick)
