"""Every matrix the app draws, as data for one renderer: the canvas grid (static/headscope/heatmap_grid.js).

Attention grids, a head opened large, differences, the atlas and role grids, a head's inner
matrices and the report all go through `grid`: values in, a compact JSON-ready description
out. Every value travels as two bytes (levels 0..LEVELS over the scale; HIDDEN for a cell
that is not drawn, such as a decoder's future), so the hover reads every cell; panels never
get more cells than they have pixels (see `panels.pool`). The renderer reads nothing else.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from headscope import panels as P
from headscope.attention import Attention
from headscope.qkv import HeadParts

LEVELS = 65534
"""Values are sent as whole levels 0..LEVELS over the scale: steps of 1.5e-5 of its range."""

HIDDEN = 65535
"""The level of a cell that is not drawn (a decoder's future; a role with no colour)."""

ASSETS = Path(__file__).resolve().parent.parent / "static" / "headscope"
"""The components' scripts and style sheets. The app serves them at app/static/headscope/
(server.enableStaticServing) and each page loads a script once (components/charts.py); the
report embeds them whole."""
SCRIPT = ASSETS / "heatmap_grid.js"
STYLE = SCRIPT.with_suffix(".css")
"""The renderer: mounted by components/heatmaps.py, embedded whole by the report."""
SHARED_SCRIPT = SCRIPT.with_name("hs_shared.js")
"""What the components share (elements, downloads, the page's colours): put in front of each one's script."""


def script_json(value) -> str:
    """JSON for a <script> element whatever its text holds: `<`, `>` and `&` written as \\u003c, \\u003e, \\u0026.

    Escaping `</` alone is not enough: `<!--<script` in a string puts the HTML parser in a state
    where the element's own `</script>` no longer ends it, and the page after it is lost.
    """
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def component_script(path: Path = SCRIPT) -> str:
    """A component's script as it runs, in the app or the report: the shared part, then the component's own file."""
    return SHARED_SCRIPT.read_text(encoding="utf-8") + "\n" + path.read_text(encoding="utf-8")


def component_style(path: Path = STYLE) -> str:
    """A component's style sheet: the shared part (hs_shared.css: tools, hover), then its own."""
    return SHARED_SCRIPT.with_suffix(".css").read_text(encoding="utf-8") + "\n" + path.read_text(encoding="utf-8")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shown_label(label: str) -> str:
    """A label as the grid shows it: characters an SVG file cannot hold (control characters) as \ufffd."""
    return _NOT_XML.sub("\ufffd", label)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.lru_cache(maxsize=64)
def _palette(kind: str, categories: tuple, dark: bool) -> str:
    """A scale's palette as the renderer gets it (base64 RGBA), made once: it depends on neither range nor data."""
    return _b64(Scale(kind=kind, categories=categories).rgba(dark).tobytes())


@dataclass(frozen=True)
class Scale:
    """How values become colours: a range on a palette, or named categories."""

    title: str = "weight"
    lo: float = 0.0
    hi: float = 1.0
    kind: str = "sequential"  # sequential (viridis), diverging (blue-white-red around 0) or categorical
    categories: tuple[tuple[str, str | None], ...] = ()  # categorical: (name, colour; None: not coloured)

    def rgba(self, dark: bool = False) -> np.ndarray:
        """The palette as RGBA bytes: 255 colours, or one per category; `dark`: for a dark page (diverging only)."""
        if self.kind == "categorical":
            out = np.zeros((len(self.categories), 4), dtype=np.uint8)
            for i, (_, colour) in enumerate(self.categories):
                if colour:
                    out[i, :3] = P._rgb(colour)
                    out[i, 3] = 255
            return out
        stops = (P.DIVERGING_DARK if dark else P.DIVERGING) if self.kind == "diverging" else P.VIRIDIS
        rgb = P.palette(stops)
        return np.concatenate([rgb, np.full((len(rgb), 1), 255, dtype=np.uint8)], axis=1)

    def levels(self, matrix: np.ndarray) -> np.ndarray:
        """Values as little-endian uint16 levels (category indices for a categorical scale); NaN cells HIDDEN."""
        if self.kind == "categorical":
            levels = np.nan_to_num(matrix).astype("<u2")
            drawn = np.array([colour is not None for _, colour in self.categories])
            levels[~drawn[np.clip(levels, 0, len(drawn) - 1)]] = HIDDEN
        else:
            span = (self.hi - self.lo) or 1.0
            levels = np.clip(np.rint((np.nan_to_num(matrix, nan=self.lo) - self.lo) / span * LEVELS), 0, LEVELS).astype(
                "<u2"
            )
        levels[np.isnan(matrix)] = HIDDEN
        return levels


def weights(zmax: float = 1.0) -> Scale:
    """Attention weights, 0 to `zmax` (1, or the largest norm when heads are weighed by what they move)."""
    return Scale("weight", 0.0, float(zmax))


def diverging(bound: float, title: str = "difference") -> Scale:
    """Signed values around 0: blue below, red above, `bound` at both ends (1 when all are 0)."""
    bound = float(bound) if np.isfinite(bound) and bound > 0 else 1.0
    return Scale(title, -bound, bound, "diverging")


@dataclass(frozen=True)
class Panel:
    """One matrix of a grid: its name (L2H8, or a title), its cells, and what is drawn on them."""

    name: str
    matrix: np.ndarray  # rows x columns; NaN: not drawn
    layer: int | None = None
    head: int | None = None
    badge: str = ""
    outlines: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first column, last row, last column)
    text: tuple[str, ...] | None = None  # a word in each cell, row by row (small grids)
    hover: tuple[str, ...] | None = None  # each cell's hover, row by row, instead of its value
    extra: dict = field(default_factory=dict)


def grid(
    panels: list[Panel],
    row_labels: list[str],
    col_labels: list[str],
    style: P.GridStyle,
    scale: Scale | None = None,
    *,
    row_title: str = "attends from",
    col_title: str = "attends to",
    value_name: str = "weight",
    number: str = "fixed",
    row_px: int | None = None,
    first: tuple[int, int] = (0, 0),
    full: tuple[int, int] | None = None,
    zoomable: bool = False,
) -> dict:
    """Everything the renderer needs to draw `panels` (all of one shape) with hover, labels and a colour bar.

    `number`: how hover values read ("fixed": 0.123, "signed": +0.123, "general": 4 digits).
    `row_px`: a fixed height a row (a matrix with few rows and many columns); None: square panels.
    `first`, `full`: the position of the first row and column in the whole matrix, and its
    size, when these panels show a window of it (zoom).

    Sequences at the top level (panels, labels, positions) are tuples: the results cache hands
    them out without a copy, and Streamlit's component sends a tuple as JSON without first
    scanning it for a dataframe (it runs pandas' `infer_dtype` over every list it is given).
    (Inside a head, 11 grids: 33 -> 27 ms of server CPU a view under the 30-user load.)
    """
    scale = scale or weights()
    n, m = panels[0].matrix.shape
    categorical = scale.kind == "categorical"
    row_block = 1 if categorical else P.pool_size(n, style.panel_px)
    col_block = 1 if categorical else P.pool_size(m, style.panel_px)
    signed = scale.kind == "diverging"
    rows, cols = math.ceil(n / row_block), math.ceil(m / col_block)
    shown = [P.pool(np.asarray(p.matrix, dtype=np.float32), row_block, col_block, signed=signed) for p in panels]
    levels = scale.levels(np.stack(shown))  # every panel at once: twelve small conversions cost more than one
    out = []
    for p, cells in zip(panels, levels):
        boxes = sorted(
            {(r0 // row_block, c0 // col_block, r1 // row_block, c1 // col_block) for r0, c0, r1, c1 in p.outlines}
        )
        out.append(
            {
                "name": shown_label(p.name),
                "layer": None if p.layer is None else int(p.layer),
                "head": None if p.head is None else int(p.head),
                "badge": p.badge,
                "outlines": [list(b) for b in boxes],
                "cells": _b64(cells.tobytes()),
                "text": None if p.text is None else [shown_label(t) for t in p.text],
                "hover": None if p.hover is None else [shown_label(t) for t in p.hover],
            }
        )
    clickable = ("panel" if panels[0].layer is not None else "cell") if style.clickable else False
    if not style.ticks:
        row_title = col_title = ""
    return {
        "panels": tuple(out),
        "blocks": (row_block, col_block),
        "rows": rows,
        "cols": cols,
        "first": (int(first[0]), int(first[1])),
        "full": tuple(full or (n, m)),
        "zoomed": full is not None and (n, m) != tuple(full),
        "rowLabels": tuple(shown_label(t) for t in P.pooled_labels(row_labels, row_block, first[0])),
        "colLabels": tuple(shown_label(t) for t in P.pooled_labels(col_labels, col_block, first[1])),
        "pooled": row_block > 1 or col_block > 1,
        "ticks": style.ticks and n <= P.TICKS_UP_TO,  # row labels drawn
        "colTicks": style.ticks and m <= P.TICKS_UP_TO,  # column labels drawn
        "tickSize": style.tick_px(n),
        "columns": min(style.columns, len(panels)),
        "panelPx": style.panel_px,
        "panelHeight": None if row_px is None else max(40, rows * row_px),
        "fill": style.fill,
        "sharedAxes": style.shared_axes,
        "titleSize": style.title_size,
        "clickable": clickable,
        "zoomable": zoomable,
        "rowTitle": row_title,
        "colTitle": col_title,
        "valueName": value_name,
        "format": "signed" if signed and number == "fixed" else number,
        "scale": {
            "kind": scale.kind,
            "lo": scale.lo,
            "hi": scale.hi,
            "title": scale.title,
            "categories": [list(c) for c in scale.categories],
        },
        "levels": LEVELS,
        "hidden": HIDDEN,
        "palette": _palette(scale.kind, scale.categories, False),
        # a diverging scale's middle follows the page: the renderer takes this one on a dark page
        "paletteDark": _palette(scale.kind, scale.categories, True) if signed else None,
    }


# ---- attention --------------------------------------------------------------------------


def head_matrix(att: Attention, layer: int, head: int) -> np.ndarray:
    """One head's weights as a panel shows them: a decoder's future cells NaN (not drawn)."""
    matrix = att.weights[layer, head]
    hidden = P.future_mask(att)
    return matrix if hidden is None else np.where(hidden, np.float32(np.nan), matrix)


def attention_grid(
    att: Attention, heads: list[tuple[int, int]], style: P.GridStyle, zmax: float = 1.0, titles: list[str] | None = None
) -> dict:
    """Heads of `att` side by side, one panel per (layer, head), tokens on both axes."""
    panels = [
        Panel(titles[k] if titles else P.head_name(layer, head), head_matrix(att, layer, head), layer, head)
        for k, (layer, head) in enumerate(heads)
    ]
    return grid(panels, P.token_labels(att.tokens), P.token_labels(att.columns[0]), style, weights(zmax))


def layer_data(att: Attention, layer: int, zmax: float = 1.0, style: P.GridStyle = P.LAYER_STYLE) -> dict:
    """All heads of one layer, with tokens on both axes."""
    return attention_grid(att, [(layer, h) for h in range(att.num_heads)], style, zmax)


def difference_data(a: Attention, b: Attention, layer: int, value_name: str = "A \u2212 B") -> dict:
    """The heads of one layer, A minus B (same shape): red where A attends more, blue where B does.

    Where the two texts' tokens differ, a label shows both (A/B).
    """
    rows = [x if x == y else f"{x}/{y}" for x, y in zip(P.token_labels(a.tokens), P.token_labels(b.tokens))]
    cols = [x if x == y else f"{x}/{y}" for x, y in zip(P.token_labels(a.columns[0]), P.token_labels(b.columns[0]))]
    diff = a.weights[layer] - b.weights[layer]
    hidden = P.future_mask(a)
    if hidden is not None:
        diff = np.where(hidden, np.float32(np.nan), diff)
    bound = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
    panels = [Panel(P.head_name(layer, h), diff[h], layer, h) for h in range(a.num_heads)]
    return grid(panels, rows, cols, P.LAYER_STYLE, diverging(bound), value_name="A − B")


def model_data(att: Attention, zmax: float = 1.0) -> dict:
    """Every head of the model as a clickable layer x head grid."""
    heads = [(layer, h) for layer in range(att.num_layers) for h in range(att.num_heads)]
    return attention_grid(att, heads, P.model_style(att.num_heads), zmax)


Window = tuple[int, int, int, int]
"""First row, first column, last row, last column (tokens, inclusive) of a zoomed head."""


def clamp_window(window, n: int, m: int) -> Window | None:
    """A zoom window the browser sent, checked: four ints in range, at least 2 x 2; else None (the whole head)."""
    if not isinstance(window, dict):
        return None
    vals = [window.get(k) for k in ("r0", "c0", "r1", "c1")]
    if any(type(v) is not int for v in vals):
        return None
    r0, c0, r1, c1 = vals
    r0, r1 = max(0, min(r0, r1)), min(n - 1, max(r0, r1))
    c0, c1 = max(0, min(c0, c1)), min(m - 1, max(c0, c1))
    if r1 - r0 < 1 or c1 - c0 < 1 or (r0, c0, r1, c1) == (0, 0, n - 1, m - 1):
        return None
    return r0, c0, r1, c1


def head_data(
    att: Attention,
    layer: int,
    head: int,
    zmax: float = 1.0,
    window: Window | None = None,
    style: P.GridStyle = P.HEAD_STYLE,
) -> dict:
    """One head, large, zoomable: the whole head, or the token `window` of it."""
    matrix = head_matrix(att, layer, head)
    rows, cols = P.token_labels(att.tokens), P.token_labels(att.columns[0])
    r0, c0, r1, c1 = window or (0, 0, len(rows) - 1, len(cols) - 1)
    panel = Panel(P.head_name(layer, head), matrix[r0 : r1 + 1, c0 : c1 + 1], layer, head)
    return grid(
        [panel],
        rows[r0 : r1 + 1],
        cols[c0 : c1 + 1],
        style,
        weights(zmax),
        first=(r0, c0),
        full=matrix.shape,
        zoomable=True,
    )


Marks = dict[tuple[int, int], str]
Outlines = dict[tuple[int, int], list[tuple[int, int, int, int]]]


def marked(data: dict, badges: Marks, outlines: Outlines) -> dict:
    """A grid's data with badges after the heads' names and token ranges outlined (a new dict; `data` is shared).

    `outlines` are (first row, first column, last row, last column) token ranges per head;
    they are drawn on the grid's (pooled) cells.
    """
    row_block, col_block = data["blocks"]
    fr, fc = data["first"]
    panels = []
    for p in data["panels"]:
        key = (p["layer"], p["head"])
        boxes = sorted(
            {
                ((r0 - fr) // row_block, (c0 - fc) // col_block, (r1 - fr) // row_block, (c1 - fc) // col_block)
                for r0, c0, r1, c1 in outlines.get(key, [])
                if r0 >= fr
                and c0 >= fc
                and (r1 - fr) // row_block < data["rows"]
                and (c1 - fc) // col_block < data["cols"]
            }
        )
        panels.append(dict(p, badge=badges.get(key, ""), outlines=[list(b) for b in boxes]))
    return dict(data, panels=panels)


# ---- layer x head grids -----------------------------------------------------------------


def heads_grid(
    values: np.ndarray,
    title: str,
    scale: Scale,
    *,
    text: list[list[str]] | None = None,
    hover: list[list[str]] | None = None,
    marks: np.ndarray | None = None,
    clickable: bool = True,
    also: tuple[tuple[np.ndarray, str], ...] = (),
) -> dict:
    """A layer x head grid (one cell per head): numbers on a scale, or roles as categories.

    A click on a cell reports that head; `marks` (a boolean [layer, head] array) are outlined.
    `also`: more (values, title) of the same shape, side by side on the same scale (A and B).
    """
    values = np.asarray(values, dtype=np.float32)
    layers, heads = values.shape
    outlines = (
        tuple((int(layer), int(h), int(layer), int(h)) for layer, h in np.argwhere(marks)) if marks is not None else ()
    )
    flat = lambda grid: None if grid is None else tuple(s for row in grid for s in row)  # noqa: E731
    panels = [
        Panel(name, np.asarray(v, dtype=np.float32), text=flat(text), hover=flat(hover), outlines=outlines)
        for v, name in ((values, title), *also)
    ]
    style = P.GridStyle(
        columns=len(panels),
        panel_px=min(640, max(240, 44 * heads)),
        ticks=True,
        clickable=clickable,
        title_size=14,
        tick_size=12,
    )
    return grid(
        panels,
        [f"L{layer}" for layer in range(layers)],
        [f"H{h}" for h in range(heads)],
        style,
        scale,
        row_title="layer",
        col_title="head",
        row_px=max(26, min(44, 560 // max(1, layers))),
    )


# ---- any labelled matrix ----------------------------------------------------------------


def matrix_data(
    matrix: np.ndarray,
    rows: list[str],
    cols: list[str] | None,
    title: str,
    scale: Scale,
    *,
    row_title: str = "",
    col_title: str = "",
    value_name: str = "value",
    number: str = "general",
    outline_cols: tuple[int, int] | None = None,
    style: P.GridStyle = P.HEAD_STYLE,
) -> dict:
    """One labelled matrix (a head's queries, keys, scores...): tokens down, dimensions or tokens across.

    `cols` None: the columns are numbered dimensions (no tick labels). `outline_cols`: a
    half-open range of columns outlined over every row (one head's slice of a concatenation).
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    n, m = matrix.shape
    names = P.token_labels(cols) if cols is not None else [str(j) for j in range(m)]
    outlines = ((0, outline_cols[0], n - 1, outline_cols[1] - 1),) if outline_cols else ()
    square = cols is not None
    return grid(
        [Panel(title, matrix, outlines=outlines)],
        P.token_labels(rows),
        names,
        P.GridStyle(
            columns=1, panel_px=style.panel_px, ticks=True, clickable=False, title_size=13, tick_size=style.tick_size
        ),
        scale,
        row_title=row_title,
        col_title=col_title,
        value_name=value_name,
        number=number,
        row_px=None if square else max(10, min(18, 360 // max(1, n))),
    )


# ---- one head taken apart ---------------------------------------------------------------


def _step(
    matrix: np.ndarray, rows: list[str], cols: list[str] | None, title: str, signed: bool = True, **kwargs
) -> dict:
    """One step's matrix: signed values on the diverging scale around 0, else 0 to 1."""
    matrix = np.asarray(matrix, dtype=np.float32)
    scale = diverging(float(np.abs(matrix).max()) if matrix.size else 1.0, "value") if signed else weights(1.0)
    return matrix_data(matrix, rows, cols, title, scale, **kwargs)


def head_steps(p: HeadParts) -> dict[str, dict]:
    """Every matrix of the Inside a head page for one head and text, by step (inputs, Q, K, V, raw, scaled,
    mask, weights, output, concat, projected)."""
    toks = list(p.tokens)
    square = {"row_title": "query (attends from)", "col_title": "key (attends to)"}
    causal = not p.mask.all()
    steps = {
        "inputs": _step(
            p.inputs,
            toks,
            None,
            f"input [{len(toks)} x {p.d_model}]",
            row_title="token",
            col_title="dimension",
        )
    }
    for key, name, m in (("Q", "Q (queries)", p.queries), ("K", "K (keys)", p.keys), ("V", "V (values)", p.values)):
        steps[key] = _step(m, toks, None, f"{name} [{m.shape[0]} x {m.shape[1]}]", col_title="dimension")
    steps["raw"] = _step(p.raw_scores, toks, toks, "Q K^T: query \u00b7 key", value_name="q\u00b7k", **square)
    steps["scaled"] = _step(p.scores, toks, toks, f"Q K^T / {p.scale:.3f}", value_name="scaled score", **square)
    steps["mask"] = _step(
        p.mask.astype(np.float32),
        toks,
        toks,
        "mask: causal" if causal else "mask: all allowed",
        signed=False,
        row_title="query",
        col_title="key",
        value_name="allowed",
    )
    steps["weights"] = _step(
        p.weights,
        toks,
        toks,
        "softmax: the weights",
        signed=False,
        row_title="attends from",
        col_title="attends to",
        value_name="weight",
    )
    steps["output"] = _step(p.output, toks, None, f"weights @ V [{p.output.shape[0]} x {p.d_k}]", col_title="dimension")
    steps["concat"] = _step(
        p.concat,
        toks,
        None,
        f"concatenated heads {p.concat.shape}",
        col_title="dimension",
        outline_cols=(p.head * p.d_k, (p.head + 1) * p.d_k),
    )
    steps["projected"] = _step(p.projected, toks, None, f"output projection {p.projected.shape}", col_title="dimension")
    return steps


# ---- rollout ----------------------------------------------------------------------------


def rollout_data(raw: Attention, rolled: Attention, layer: int) -> dict[str, dict]:
    """The Rollout page's two matrices: `layer` alone (its heads averaged), and rolled out up to it."""
    toks = list(raw.tokens)
    return {
        "raw": matrix_data(
            raw.weights[layer].mean(0),
            toks,
            toks,
            f"layer {layer} alone, heads averaged",
            weights(1.0),
            row_title="attends from",
            col_title="attends to",
            value_name="weight",
            number="fixed",
        ),
        "rolled": matrix_data(
            rolled.weights[layer, 0],
            toks,
            toks,
            f"rollout through layers 0-{layer}" if layer else "rollout through layer 0",
            Scale("share"),
            row_title="position",
            col_title="input token",
            value_name="share",
            number="fixed",
        ),
    }
