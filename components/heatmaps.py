"""Heatmap grids on the page: one layer, every layer (clickable), one head large."""

from __future__ import annotations

import streamlit as st

from components import engine
from components.sidebar import Settings
from headscope.figures import head_name

CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}


def layer_grid(s: Settings, layer: int) -> None:
    """The heads of one layer side by side."""
    fig = engine.layer_figure(s, layer)
    st.plotly_chart(fig, config=CHART_CONFIG, key=f"layer_grid_{layer}")


def model_grid(s: Settings) -> tuple[int, int] | None:
    """Every head as a small heatmap; returns (layer, head) of a clicked one, if any."""
    fig = engine.model_figure(s)
    event = st.plotly_chart(
        fig,
        config=CHART_CONFIG,
        key="model_grid",
        on_select="rerun",
        selection_mode="points",
    )
    points = (event.get("selection") or {}).get("points") or []
    for point in points:
        data = point.get("customdata")
        if data and len(data) >= 2:
            return int(data[0]), int(data[1])
    return None


def head_large(s: Settings, layer: int, head: int, title: bool = True) -> None:
    """One head, large, with hover on every cell."""
    if title:
        st.subheader(head_name(layer, head))
    fig = engine.head_figure(s, layer, head)
    st.plotly_chart(fig, config=CHART_CONFIG, key="head_large", width="content")
