"""Every figure goes through here: one toolbar set-up, with downloads as PNG or SVG."""

from __future__ import annotations

import re

import streamlit as st

from headscope.models import BUNDLED_ID

FORMATS = {"PNG": "png", "SVG (vector, for papers)": "svg"}


def file_name(*parts: object) -> str:
    """A safe download name: headscope_<model>_<what>."""
    model = str(st.session_state.get("model", BUNDLED_ID)).rstrip("/").split("/")[-1]
    raw = "_".join(["headscope", model, *(str(p) for p in parts if p != "")])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)[:120]


def config(name: str) -> dict:
    """Plotly's toolbar for one figure: its camera button downloads it under a sensible name."""
    fmt = FORMATS.get(st.session_state.get("figure_format", "PNG"), "png")
    return {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"format": fmt, "filename": file_name(name), "scale": 2 if fmt == "png" else 1},
    }


def show(fig, key: str, name: str | None = None, **kwargs):
    """Draw a figure with the shared toolbar; `name` names its download (default: the key)."""
    return st.plotly_chart(fig, config=config(name or key), key=key, **kwargs)


def clicked_head(event) -> tuple[int, int] | None:
    """(layer, head) of a clicked point of a head grid, whose customdata starts with them; None if none."""
    for point in (event.get("selection") or {}).get("points") or []:
        data = point.get("customdata")
        if data and len(data) >= 2:
            return int(data[0]), int(data[1])
    return None


def format_picker() -> None:
    """The sidebar choice of what the figures' camera button downloads."""
    st.radio(
        "Figure downloads",
        list(FORMATS),
        key="figure_format",
        horizontal=True,
        help="The camera button of the bar charts saves them in this format. "
        "Every heatmap grid, and the arc diagram, has a PNG and an SVG button of its own.",
    )
