"""Heatmap grids on the page: one layer, every layer (clickable), one head large."""

from __future__ import annotations

import streamlit as st

from components import charts, engine, faults
from components.sidebar import Settings
from headscope.figures import head_name


def layer_grid(s: Settings, layer: int) -> None:
    """The heads of one layer side by side."""
    with faults.guard("Cannot draw the heatmaps"):
        fig = engine.layer_figure(s, layer)
    charts.show(fig, key=f"layer_grid_{layer}", name=f"layer{layer}")


def model_grid(s: Settings) -> tuple[int, int] | None:
    """Every head as a small heatmap; returns (layer, head) of a clicked one, if any."""
    with faults.guard("Cannot draw the heatmaps"):
        fig = engine.model_figure(s)
    event = charts.show(fig, key="model_grid", name="all-layers", on_select="rerun", selection_mode="points")
    return charts.clicked_head(event)


def head_large(s: Settings, layer: int, head: int, title: bool = True) -> None:
    """One head, large, with hover on every cell."""
    if title:
        st.subheader(head_name(layer, head))
    with faults.guard("Cannot draw the heatmaps"):
        fig = engine.head_figure(s, layer, head)
    charts.show(fig, key="head_large", name=head_name(layer, head), width="content")
