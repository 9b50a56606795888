"""What a grid of heatmap panels shows, for any renderer: styles, names, labels, pooling and palettes.

No plotting library is imported here: the canvas grid (headscope/canvas.py and
static/headscope/heatmap_grid.js) draws every matrix of the app and the report from this, and the
CLI uses the names.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

from headscope.attention import Attention

TICKS_UP_TO = 60
"""Tokens per axis up to which tick labels are drawn; longer texts name cells in the hover only."""


@dataclass(frozen=True)
class GridStyle:
    """How a grid of panels is drawn: columns, panel size in pixels, and what is shown."""

    columns: int
    panel_px: int
    ticks: bool
    clickable: bool  # a click on a panel reports it (layer, head)
    title_size: int = 13
    tick_size: int | None = None  # None: 12 (11 for long texts); the renderer shrinks them to 11 px at least
    height_px: int | None = None  # None: square panels
    fill: bool = False  # grow the panels to the width and height of the window (a projector)
    shared_axes: bool = False  # row labels once at the left, column labels once at the bottom

    def tick_px(self, tokens: int) -> int:
        """Font size of tick labels for a text of `tokens` rows."""
        return self.tick_size or (12 if tokens <= 24 else 11)


LAYER_STYLE = GridStyle(columns=4, panel_px=190, ticks=True, clickable=False)
MODEL_STYLE = GridStyle(columns=12, panel_px=70, ticks=False, clickable=True, title_size=10)
HEAD_STYLE = GridStyle(columns=1, panel_px=560, ticks=True, clickable=False, title_size=15)
PRESENT_HEAD = GridStyle(columns=1, panel_px=1200, ticks=True, clickable=False, title_size=24, tick_size=20, fill=True)
PRESENT_LAYER = GridStyle(
    columns=6, panel_px=400, ticks=True, clickable=True, title_size=20, tick_size=22, fill=True, shared_axes=True
)
"""A projector's layer: the renderer picks how many panels a row and labels as large as the cells allow (up to
22 px), at least 18 px where the screen allows (heatmap_grid.js, `filling`)."""
HEADS_STYLE = GridStyle(columns=1, panel_px=560, ticks=True, clickable=True, title_size=14, tick_size=12)
"""A layer x head grid of numbers or roles: one panel, a cell per head."""


def model_style(num_heads: int) -> GridStyle:
    """The all-heads grid's style: a row of small panels per layer (larger ones for few heads)."""
    if num_heads >= 8:
        return MODEL_STYLE
    return GridStyle(columns=num_heads, panel_px=140, ticks=False, clickable=True, title_size=10)


def head_name(layer: int, head: int) -> str:
    """The name of a head, numbered from 0: L2H3 is layer 2, head 3."""
    return f"L{layer}H{head}"


HEAD_NAME = re.compile(r"\s*[Ll]([0-9]{1,4})\s*[Hh]([0-9]{1,4})\s*")
"""A head's name as typed or linked: L2H3 (l2h3 and spaces around its parts too), numbers of at most
four ASCII digits (int() also reads full-width digits, and raises past 4,300 digits)."""


def parse_head_name(text: str) -> tuple[int, int] | None:
    """(layer, head) of a name such as L2H3, or None when it is not one: the one reader of head names."""
    found = HEAD_NAME.fullmatch(text)
    return (int(found[1]), int(found[2])) if found else None


def token_labels(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """Token labels made unique: a repeated token carries its position (the·6). Plain text."""
    counts = Counter(tokens)
    return [t if counts[t] == 1 else f"{t}\u00b7{i}" for i, t in enumerate(tokens)]


REPEATED_NOTE = "A token that occurs twice carries its position after a dot (the\u00b76 is the token at position 6)."
"""Said under every grid whose labels carry a position."""


def pool_size(count: int, panel_px: int) -> int:
    """Tokens per pooled cell so that a panel of `panel_px` pixels shows at least one pixel a cell."""
    return max(1, math.ceil(count / panel_px))


def pool(matrix: np.ndarray, rows: int, cols: int, signed: bool = False) -> np.ndarray:
    """Max-pool a matrix over blocks of rows x cols cells (the last block may be short).

    A panel cannot show more cells than it has pixels; the maximum keeps every strong link
    visible. `signed`: the value of largest magnitude, with its sign (a difference). NaN
    cells (a decoder's future) are ignored; a block of only NaN stays NaN.
    """
    if rows == cols == 1:
        return matrix
    n, m = matrix.shape
    pn, pm = math.ceil(n / rows), math.ceil(m / cols)
    padded = np.full((pn * rows, pm * cols), np.nan, dtype=np.float32)
    padded[:n, :m] = matrix
    blocks = padded.reshape(pn, rows, pm, cols).transpose(0, 2, 1, 3).reshape(pn, pm, rows * cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
        if not signed:
            return np.nanmax(blocks, axis=2).astype(np.float32)
        empty = np.isnan(blocks).all(axis=2)
        pick = np.nanargmax(np.where(np.isnan(blocks), -1.0, np.abs(blocks)), axis=2)
        out = np.take_along_axis(blocks, pick[..., None], axis=2)[..., 0].astype(np.float32)
        out[empty] = np.nan
        return out


def future_mask(att: Attention) -> np.ndarray | None:
    """A decoder's future cells (row attends to a later column), which are not drawn; None for an encoder."""
    return np.triu(np.ones((att.num_tokens, att.num_keys), dtype=bool), 1) if att.causal else None


def pooled_labels(tokens: tuple[str, ...] | list[str], size: int, first: int = 0) -> list[str]:
    """Labels of pooled rows or columns: the token range and its first and last tokens ("8–10 cat…the").

    `first`: the position of tokens[0] in the text (a zoomed window), for the ranges' numbers.
    """
    if size == 1:
        return list(tokens)
    out = []
    for start in range(0, len(tokens), size):
        end = min(start + size, len(tokens)) - 1
        out.append(f"{first + start}\u2013{first + end} {tokens[start]}\u2026{tokens[end]}")
    return out


# ---- palettes --------------------------------------------------------------------------

VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
"""Perceptually uniform, colour-blind safe, readable on light and dark backgrounds (stops, low to high)."""

DIVERGING = (
    "#053061",
    "#2166ac",
    "#4393c3",
    "#92c5de",
    "#d1e5f0",
    "#f7f7f7",
    "#fddbc7",
    "#f4a582",
    "#d6604d",
    "#b2182b",
    "#67001f",
)
"""Blue (negative) through white (zero) to red (positive), ColorBrewer's RdBu reversed."""

DIVERGING_DARK = (
    "#d1e5f0",
    "#92c5de",
    "#4393c3",
    "#2166ac",
    "#1b3a5f",
    "#262730",
    "#5e1f2b",
    "#b2182b",
    "#d6604d",
    "#f4a582",
    "#fddbc7",
)
"""The diverging scale for a dark page: the same blues and reds, but zero is a dark grey (Streamlit's dark
theme's secondary background) and the colours grow lighter away from it, so near-zero values recede into the
page instead of standing out as white slabs."""

OUTLINE_COLOUR = "#ff3b30"
"""The clicked head's outline: red stands out against every Viridis colour."""

PALETTE_SIZE = 255


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def palette(stops: tuple[str, ...], size: int = PALETTE_SIZE) -> np.ndarray:
    """`size` RGB colours (uint8) interpolated evenly between the colour `stops`."""
    points = np.array([_rgb(s) for s in stops], dtype=np.float64)
    at = np.linspace(0, len(stops) - 1, size)
    out = np.stack([np.interp(at, np.arange(len(stops)), points[:, k]) for k in range(3)], axis=1)
    return out.round().astype(np.uint8)


def colour_table() -> np.ndarray:
    """255 RGB colours of VIRIDIS (palette indices 0-254)."""
    return palette(VIRIDIS)
