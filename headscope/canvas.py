"""Heatmap grids for a browser canvas: attention in, a compact JSON-ready description out.

The Heads page draws its grids with a small canvas component (components/heatmap_grid.js)
rather than plotly: Streamlit's plotly.js chunk alone cost 1.0 s of a page's first paint
in Chromium on 2 cores (`make bench`, floor_*), more than the whole budget for the page.
Every weight travels as two bytes (0..LEVELS over 0..zmax; HIDDEN for a decoder's future),
so hover reads the value of every cell; panels never get more cells than they have pixels
(see `figures.pool`).
"""

from __future__ import annotations

import base64
import math
import re

import numpy as np

from headscope.attention import Attention
from headscope.figures import (
    LAYER_STYLE, TICKS_UP_TO, GridStyle, colour_table, future_mask, head_name, model_style, panel_weights,
    pool_size, pooled_labels,
)

LEVELS = 65534
"""Weights are sent as whole levels 0..LEVELS over 0..zmax: steps of 1.5e-5 at zmax 1."""

HIDDEN = 65535
"""The level of a cell that is not drawn (a decoder's future)."""

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shown_label(label: str) -> str:
    """A label as the grid shows it: characters an SVG file cannot hold (control characters) as \ufffd."""
    return _NOT_XML.sub("\ufffd", label)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def cell_levels(matrix: np.ndarray, zmax: float) -> np.ndarray:
    """Weights as little-endian uint16 levels 0..LEVELS over 0..zmax; NaN cells HIDDEN."""
    levels = np.clip(np.rint(np.nan_to_num(matrix) / zmax * LEVELS), 0, LEVELS).astype("<u2")
    levels[np.isnan(matrix)] = HIDDEN
    return levels


def grid_data(att: Attention, panels: list[tuple[int, int]], style: GridStyle, zmax: float = 1.0) -> dict:
    """Everything the canvas grid needs to draw `panels` (layer, head) of `att` with hover and labels."""
    n, m = att.num_tokens, att.num_keys
    row_block, col_block = pool_size(n, style.panel_px), pool_size(m, style.panel_px)
    hidden = future_mask(att)
    cells = []
    for layer, head in panels:
        shown = panel_weights(att, layer, head, row_block, col_block, hidden)
        cells.append({
            "name": head_name(layer, head),
            "layer": int(layer),
            "head": int(head),
            "badge": "",
            "outlines": [],
            "cells": _b64(cell_levels(shown, zmax).tobytes()),
        })
    return {
        "panels": cells,
        "blocks": [row_block, col_block],
        "rows": math.ceil(n / row_block),
        "cols": math.ceil(m / col_block),
        "rowLabels": [shown_label(t) for t in pooled_labels(att.tokens, row_block, escape=False)],
        "colLabels": [shown_label(t) for t in pooled_labels(att.columns[0], col_block, escape=False)],
        "pooled": row_block > 1 or col_block > 1,
        "ticks": style.ticks and max(n, m) <= TICKS_UP_TO,
        "tickSize": style.tick_px(n),
        "columns": min(style.columns, len(panels)),
        "panelPx": style.panel_px,
        "titleSize": style.title_size,
        "clickable": style.clickable,
        "zmax": float(zmax),
        "levels": LEVELS,
        "hidden": HIDDEN,
        "palette": _b64(colour_table().tobytes()),
    }


def layer_data(att: Attention, layer: int, zmax: float = 1.0) -> dict:
    """All heads of one layer, with tokens on both axes (as `figures.layer_figure`)."""
    return grid_data(att, [(layer, h) for h in range(att.num_heads)], LAYER_STYLE, zmax)


def model_data(att: Attention, zmax: float = 1.0) -> dict:
    """Every head of the model as a clickable layer x head grid."""
    panels = [(layer, h) for layer in range(att.num_layers) for h in range(att.num_heads)]
    return grid_data(att, panels, model_style(att.num_heads), zmax)


Marks = dict[tuple[int, int], str]
Outlines = dict[tuple[int, int], list[tuple[int, int, int, int]]]


def marked(data: dict, badges: Marks, outlines: Outlines) -> dict:
    """A grid's data with badges after the heads' names and token ranges outlined (a new dict; `data` is shared).

    `outlines` are (first row, first column, last row, last column) token ranges per head;
    they are drawn on the grid's (pooled) cells.
    """
    row_block, col_block = data["blocks"]
    panels = []
    for p in data["panels"]:
        key = (p["layer"], p["head"])
        boxes = sorted({(r0 // row_block, c0 // col_block, r1 // row_block, c1 // col_block)
                        for r0, c0, r1, c1 in outlines.get(key, [])})
        panels.append(dict(p, badge=badges.get(key, ""), outlines=[list(b) for b in boxes]))
    return dict(data, panels=panels)
