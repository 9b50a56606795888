"""Plotly figure builders: pure functions, attention in, go.Figure out."""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from headscope.attention import Attention

COLORSCALE = "Viridis"
"""Perceptually uniform, colour-blind safe, readable on light and dark backgrounds."""

HEATMAP_CELL_BUDGET = 450_000
"""Above this many cells in one figure (after pooling), heads are drawn as PNG images instead of heatmaps.

Measured with `make bench` (bench/figures.py, one layer of 12 heads, Chromium, 2 cores):
float32 heatmaps cost about 5.5 bytes of JSON per cell and PNG images 0.4-2; at 144 tokens
(249k cells) heatmaps are 1.45 MB and draw in ~0.2 s. At 512 tokens one layer is pooled to
171 x 171 cells a head (see `pool`), 351k cells, 2.1 MB: heatmaps keep hover on every cell.
The largest unpooled layer (12 heads of 190 x 190) is 433k cells; the budget is set above it,
so images remain for the large presentation panels (280 pixels, 12 heads).
"""

OUTLINE_COLOUR = "#ff3b30"
"""Boxes around the cells of a dependency arc: red stands out against every Viridis colour."""

TICKS_UP_TO = 60
"""Tokens per axis up to which tick labels are drawn; longer texts name cells in the hover only."""


@dataclass(frozen=True)
class GridStyle:
    """How a grid of heads is drawn: columns, panel size in pixels, and what is shown."""

    columns: int
    panel_px: int
    gap_px: int
    ticks: bool
    clickable: bool  # the canvas grid (headscope.canvas) reports clicks on its panels
    title_size: int = 13
    cell_budget: int = HEATMAP_CELL_BUDGET
    width_px: int | None = None  # None: as wide as the page
    tick_size: int | None = None  # None: 10 (8 for long texts)

    def tick_px(self, tokens: int) -> int:
        """Font size of tick labels for a text of `tokens` rows."""
        return self.tick_size or (10 if tokens <= 24 else 8)


LAYER_STYLE = GridStyle(columns=4, panel_px=190, gap_px=95, ticks=True, clickable=False)
MODEL_STYLE = GridStyle(columns=12, panel_px=70, gap_px=24, ticks=False, clickable=True, title_size=10)
HEAD_STYLE = GridStyle(
    columns=1, panel_px=560, gap_px=0, ticks=True, clickable=False, title_size=15,
    cell_budget=600_000, width_px=720,
)


def head_name(layer: int, head: int) -> str:
    """The name of a head, numbered from 0: L2H3 is layer 2, head 3."""
    return f"L{layer}H{head}"


def plain(text: str) -> str:
    """Text that plotly shows as it is: its HTML-like markup (<b>, <a href>) escaped as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def token_labels(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """Token labels made unique: a repeated token carries its position (the·6). Plain text, for widgets."""
    counts = Counter(tokens)
    return [t if counts[t] == 1 else f"{t}\u00b7{i}" for i, t in enumerate(tokens)]


def axis_labels(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """`token_labels` escaped for plotly (see `plain`): a token is always shown as text, never as markup."""
    return [plain(label) for label in token_labels(tokens)]


def pool_size(count: int, panel_px: int) -> int:
    """Tokens per pooled cell so that a panel of `panel_px` pixels shows at least one pixel a cell."""
    return max(1, math.ceil(count / panel_px))


def pool(matrix: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Max-pool a weight matrix over blocks of rows x cols tokens (the last block may be short).

    A panel cannot show more cells than it has pixels; the maximum keeps every strong link
    visible. NaN cells (a decoder's future) are ignored; a block of only NaN stays NaN.
    """
    if rows == cols == 1:
        return matrix
    n, m = matrix.shape
    pn, pm = math.ceil(n / rows), math.ceil(m / cols)
    padded = np.full((pn * rows, pm * cols), np.nan, dtype=np.float32)
    padded[:n, :m] = matrix
    blocks = padded.reshape(pn, rows, pm, cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
        return np.nanmax(blocks, axis=(1, 3)).astype(np.float32)


def future_mask(att: Attention) -> np.ndarray | None:
    """A decoder's future cells (row attends to a later column), which are not drawn; None for an encoder."""
    return np.triu(np.ones((att.num_tokens, att.num_keys), dtype=bool), 1) if att.causal else None


def panel_weights(att: Attention, layer: int, head: int, row_block: int, col_block: int,
                  hidden: np.ndarray | None) -> np.ndarray:
    """One head as a panel shows it: `hidden` cells NaN, max-pooled over blocks of tokens."""
    matrix = att.weights[layer, head]
    if hidden is not None:
        matrix = np.where(hidden, np.float32(np.nan), matrix)
    return pool(matrix, row_block, col_block)


def pooled_labels(tokens: tuple[str, ...] | list[str], size: int, escape: bool = True) -> list[str]:
    """Labels of pooled rows or columns: the token range and its first and last tokens ("8–10 cat…the").

    Escaped for plotly (see `plain`) unless `escape` is False (for a page that sets them as text).
    """
    mark = plain if escape else str
    if size == 1:
        return [mark(label) for label in token_labels(tokens)]
    out = []
    for start in range(0, len(tokens), size):
        end = min(start + size, len(tokens)) - 1
        out.append(f"{start}\u2013{end} {mark(tokens[start])}\u2026{mark(tokens[end])}")
    return out


def _levels(matrix: np.ndarray, zmax: float, top: int) -> np.ndarray:
    """Weights in 0..zmax as whole levels 0..top (uint8), for a palette image."""
    return np.clip(np.rint(np.nan_to_num(matrix) / zmax * top), 0, top).astype(np.uint8)


def _png_data_uri(matrix: np.ndarray, zmax: float, hidden: np.ndarray | None = None) -> str:
    """A weight matrix coloured with COLORSCALE as an 8-bit palette PNG data URI; `hidden` cells transparent.

    A palette PNG is one byte a pixel before compression, a third of an RGB one.
    """
    from PIL import Image

    lut = colour_table()
    index = _levels(matrix, zmax, len(lut) - 1)
    if hidden is not None:
        index[hidden] = TRANSPARENT
    image = Image.fromarray(index)
    image.putpalette(lut.tobytes() + bytes(3))  # entry 255: the transparent one
    buffer = io.BytesIO()
    extra = {"transparency": TRANSPARENT} if hidden is not None else {}
    image.save(buffer, format="PNG", optimize=False, compress_level=6, **extra)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


TRANSPARENT = 255
"""The palette index of hidden cells in image mode; colours use indices 0-254."""

_LUT: np.ndarray | None = None


def colour_table() -> np.ndarray:
    """255 RGB colours sampled evenly from COLORSCALE (palette indices 0-254)."""
    global _LUT
    if _LUT is None:
        from plotly.colors import get_colorscale, sample_colorscale, unlabel_rgb

        samples = sample_colorscale(get_colorscale(COLORSCALE), [i / 254 for i in range(255)])
        _LUT = np.array([unlabel_rgb(c) for c in samples], dtype=np.float64).round().astype(np.uint8)
    return _LUT


class FrozenFigure(go.Figure):
    """A figure whose plain-dict form is computed once: for figures shared read-only across sessions.

    `st.plotly_chart` calls `to_dict()` on every page view, and for a 72-panel grid that deep
    copy and base64 pass was half the server's CPU per view (py-spy, bench/load.py). A frozen
    figure must not be changed after `freeze`. Readers only read the dict, except that
    `plotly.io.to_json` pops each trace's "uid", which these figures never set.
    """

    def to_dict(self) -> dict:
        return self._frozen_dict


def freeze(fig: go.Figure) -> go.Figure:
    """The same figure, its dict computed now and returned by every later `to_dict()`."""
    spec = fig.to_dict()
    fig.__class__ = FrozenFigure
    fig._frozen_dict = spec
    return fig


def _domains(count: int, size: float, gap: float, reverse: bool) -> list[tuple[float, float]]:
    """Paper-coordinate domains of `count` panels of `size` separated by `gap`."""
    spans = [(i * (size + gap), i * (size + gap) + size) for i in range(count)]
    if reverse:
        spans = [(1 - b, 1 - a) for a, b in spans]
    return [(max(0.0, a), min(1.0, b)) for a, b in spans]


def grid_figure(
    att: Attention,
    panels: list[tuple[int, int]],
    style: GridStyle,
    zmax: float = 1.0,
    titles: list[str] | None = None,
    outlines: list[list[tuple[int, int]]] | None = None,
    diverging: bool = False,
) -> go.Figure:
    """Heads side by side, one panel per (layer, head), with one shared colour scale.

    `titles` replace the panels' L{layer}H{head} titles; `outlines` lists, per panel, the
    (row, column) cells to draw a box around. Heads that open on a click are the canvas
    grid's (headscope.canvas); `style.clickable` means nothing here.
    """
    n, m = att.num_tokens, att.num_keys
    cols = min(style.columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    top_px, bottom_px = 30, (70 if style.ticks else 10)
    plot_px = rows * style.panel_px + (rows - 1) * style.gap_px
    height = plot_px + top_px + bottom_px
    y_size, y_gap = style.panel_px / plot_px, style.gap_px / plot_px
    x_gap = 0.05 if style.ticks else 0.012
    x_size = (1 - (cols - 1) * x_gap) / cols
    x_domains = _domains(cols, x_size, x_gap, reverse=False)
    y_domains = _domains(rows, y_size, y_gap, reverse=True)

    # A panel shows at most one cell a pixel: longer texts are max-pooled over blocks of tokens.
    row_block, col_block = pool_size(n, style.panel_px), pool_size(m, style.panel_px)
    pooled = row_block > 1 or col_block > 1
    as_image = len(panels) * math.ceil(n / row_block) * math.ceil(m / col_block) > style.cell_budget
    labels = pooled_labels(att.tokens, row_block)
    col_labels = pooled_labels(att.columns[0], col_block)
    positions, col_positions = list(range(n)), list(range(m))
    tick_labels, col_tick_labels = axis_labels(att.tokens), axis_labels(att.columns[0])  # image mode: one a token
    hidden = future_mask(att)
    weight = "max %{z:.3f}" if pooled else "%{z:.3f}"
    traces: list = []
    layout: dict = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top_px, "b": bottom_px},
        "coloraxis": {
            "colorscale": "RdBu" if diverging else COLORSCALE,
            "reversescale": diverging,  # red: more in the first, blue: more in the second
            "cmin": -zmax if diverging else 0.0,
            "cmax": zmax,
            "colorbar": {"title": {"text": "difference" if diverging else "weight"}, "thickness": 12,
                         "len": min(1.0, 400 / plot_px)},
        },
        "hovermode": "closest",
        "dragmode": False,
        "showlegend": False,
        "annotations": [],
        "shapes": [],
    }
    if style.width_px:
        layout["width"] = style.width_px
    tick_font = {"size": style.tick_px(n)}
    for k, (layer, head) in enumerate(panels):
        r, c = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        xa, ya = f"x{suffix}", f"y{suffix}"
        name = head_name(layer, head)
        shown = panel_weights(att, layer, head, row_block, col_block, hidden)
        if as_image:
            traces.append(
                go.Image(
                    source=_png_data_uri(shown, zmax, np.isnan(shown) if hidden is not None else None),
                    x0=(col_block - 1) / 2, dx=col_block, y0=(row_block - 1) / 2, dy=row_block,
                    xaxis=xa, yaxis=ya, name=name,
                    hovertemplate=(f"{name}: from token %{{y:.0f}} to token %{{x:.0f}}"
                                   + (" (max over blocks of tokens)" if pooled else "") + "<extra></extra>"),
                )
            )
        else:
            traces.append(
                go.Heatmap(
                    z=shown,
                    x=col_labels,
                    y=labels,
                    coloraxis="coloraxis",
                    xaxis=xa,
                    yaxis=ya,
                    name=name,
                    hovertemplate=f"%{{y}} \u2192 %{{x}}: {weight}<extra>{name}</extra>",
                    xgap=0,
                    ygap=0,
                )
            )
        show_ticks = style.ticks and max(n, m) <= TICKS_UP_TO
        axis_common = {
            "showgrid": False,
            "zeroline": False,
            "showticklabels": show_ticks,
            "ticks": "",
            "tickfont": tick_font,
            "fixedrange": True,
        }
        if not as_image:
            axis_common["type"] = "category"
        x_axis = dict(axis_common, domain=x_domains[c], anchor=ya)
        y_axis = dict(
            axis_common,
            domain=y_domains[r],
            anchor=xa,
            autorange="reversed",
        )
        if as_image:
            x_axis.update(tickmode="array", tickvals=col_positions, ticktext=col_tick_labels)
            y_axis.update(tickmode="array", tickvals=positions, ticktext=tick_labels)
            x_axis["range"] = [-0.5, m - 0.5]
            y_axis.pop("autorange")
            y_axis["range"] = [n - 0.5, -0.5]
        if style.ticks:
            x_axis["tickangle"] = -60
            if r == rows - 1 or k + cols >= len(panels):
                x_axis["title"] = {"text": "attends to", "font": {"size": 11}}
            if c == 0:
                y_axis["title"] = {"text": "attends from", "font": {"size": 11}}
        layout[f"xaxis{suffix}"] = x_axis
        layout[f"yaxis{suffix}"] = y_axis
        for row, col in (outlines[k] if outlines else []):
            layout["shapes"].append(
                {
                    "type": "rect", "xref": f"{xa} domain", "yref": f"{ya} domain",
                    "x0": col / m, "x1": (col + 1) / m, "y0": 1 - (row + 1) / n, "y1": 1 - row / n,
                    "line": {"color": OUTLINE_COLOUR, "width": 2.5},
                }
            )
        layout["annotations"].append(
            {
                "text": f"<b>{titles[k] if titles else name}</b>",
                "x": (x_domains[c][0] + x_domains[c][1]) / 2,
                "y": y_domains[r][1],
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": style.title_size},
            }
        )
    return go.Figure(data=traces, layout=layout)


PRESENT_HEAD = GridStyle(columns=1, panel_px=640, gap_px=0, ticks=True, clickable=False, title_size=30,
                         cell_budget=600_000, tick_size=18)
PRESENT_LAYER = GridStyle(columns=4, panel_px=280, gap_px=120, ticks=True, clickable=False, title_size=22,
                          tick_size=13)


def present_figure(att: Attention, layer: int, head: int | None = None) -> go.Figure:
    """For a projector: one head, or one layer, filling the screen in large type."""
    if head is None:
        return grid_figure(att, [(layer, h) for h in range(att.num_heads)], PRESENT_LAYER)
    return grid_figure(att, [(layer, head)], PRESENT_HEAD)


def layer_figure(att: Attention, layer: int, zmax: float = 1.0) -> go.Figure:
    """All heads of one layer, side by side, with tokens on both axes."""
    return grid_figure(att, [(layer, h) for h in range(att.num_heads)], LAYER_STYLE, zmax)


def model_style(num_heads: int) -> GridStyle:
    """The all-heads grid's style: a row of small panels per layer (larger ones for few heads)."""
    if num_heads >= 8:
        return MODEL_STYLE
    return GridStyle(columns=num_heads, panel_px=140, gap_px=24, ticks=False, clickable=True, title_size=10)


def head_figure(att: Attention, layer: int, head: int, zmax: float = 1.0) -> go.Figure:
    """One head, large, with hover on every cell."""
    return grid_figure(att, [(layer, head)], HEAD_STYLE, zmax)


ARC_COLOUR, ARC_MUTED = "#d62728", "#b0b0b0"


def arc_figure(words: tuple[str, ...], arcs: list[tuple[int, int, str]], highlight: str | None) -> go.Figure:
    """A dependency arc diagram: words in a row, an arc from each head to its dependent.

    Arcs of the `highlight` relation (or all of them for "all") are drawn in colour; a
    marker at the top of each arc carries its relation, so a click on it selects it.
    """
    n = len(words)
    traces: list = []
    tops_x, tops_y, tops_rel, tops_text = [], [], [], []
    max_height = 0.0
    for d, h, r in arcs:
        lo, hi = sorted((d, h))
        height = 0.6 + 0.45 * (hi - lo)
        max_height = max(max_height, height)
        t = np.linspace(0.0, 1.0, 25)
        xs = lo + (hi - lo) * t
        ys = 0.35 + height * 4 * t * (1 - t)
        on = highlight in (r, "all")
        traces.append(go.Scatter(
            x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
            line={"color": ARC_COLOUR if on else ARC_MUTED, "width": 3 if on else 1.5},
        ))
        # an arrow head at the dependent's end
        traces.append(go.Scatter(
            x=[d], y=[0.35], mode="markers", hoverinfo="skip", showlegend=False,
            marker={"symbol": "triangle-down", "size": 9, "color": ARC_COLOUR if on else ARC_MUTED},
        ))
        tops_x.append((lo + hi) / 2)
        tops_y.append(0.35 + height)
        tops_rel.append(r)
        tops_text.append(f"{plain(words[d])} \u2190{r}\u2014 {plain(words[h])}")
    traces.append(go.Scatter(
        x=tops_x, y=tops_y, mode="markers+text", text=tops_rel, textposition="top center",
        customdata=[[r] for r in tops_rel], hovertext=tops_text, hoverinfo="text",
        marker={"size": 14, "color": "rgba(0,0,0,0.02)", "symbol": "square"},
        textfont={"size": 12}, showlegend=False, name="arcs",
    ))
    traces.append(go.Scatter(
        x=list(range(n)), y=[0.0] * n, mode="text", text=[plain(w) for w in words], hoverinfo="skip",
        textfont={"size": 15}, showlegend=False, cliponaxis=False,
    ))
    layout = {
        "height": int(130 + 55 * max_height),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "xaxis": {"visible": False, "range": [-0.7, n - 0.3], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-0.4, max_height + 1.0], "fixedrange": True},
        "dragmode": False,
        "hovermode": "closest",
    }
    return go.Figure(data=traces, layout=layout)


def atlas_figure(accuracy: np.ndarray, marked: np.ndarray, title: str) -> go.Figure:
    """A layer x head grid of accuracies; the `marked` heads (those that follow the relation) get a star."""
    layers, heads = accuracy.shape
    text = [[f"{accuracy[l, h]:.2f}" for h in range(heads)] for l in range(layers)]
    fig = go.Figure(
        go.Heatmap(
            z=accuracy.astype(np.float32), x=list(range(heads)), y=list(range(layers)),
            text=text, texttemplate="%{text}", textfont={"size": 10},
            colorscale=COLORSCALE, zmin=0.0, zmax=1.0, colorbar={"title": {"text": "accuracy"}},
            hovertemplate="L%{y}H%{x}: accuracy %{z:.3f}<extra></extra>",
        )
    )
    above = np.argwhere(marked)
    if len(above):
        fig.add_trace(go.Scatter(
            x=above[:, 1], y=above[:, 0] - 0.32, mode="markers", hoverinfo="skip", showlegend=False,
            marker={"symbol": "star", "size": 9, "color": "white", "line": {"color": "black", "width": 1}},
        ))
    return _head_grid_layout(fig, title, height=110 + 42 * layers)


def _head_grid_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The layout shared by layer x head grids: heads across, layers down from 0, fixed axes."""
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": {"text": "head"}, "dtick": 1, "fixedrange": True},
        yaxis={"title": {"text": "layer"}, "dtick": 1, "autorange": "reversed", "fixedrange": True},
        dragmode=False,
    )
    return fig


def matrix_figure(
    matrix: np.ndarray,
    rows: list[str],
    cols: list[str] | None,
    title: str,
    *,
    diverging: bool = False,
    zmin: float | None = None,
    zmax: float | None = None,
    row_title: str = "",
    col_title: str = "",
    value_name: str = "value",
    height: int | None = None,
    outline_cols: tuple[int, int] | None = None,
) -> go.Figure:
    """One labelled matrix as a heatmap (diverging colours around 0 for signed values)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    y = axis_labels(rows)
    x = axis_labels(cols) if cols is not None else list(range(matrix.shape[1]))
    if diverging:
        bound = float(np.abs(matrix).max()) or 1.0
        scale = {"colorscale": "RdBu", "zmid": 0.0, "zmin": -bound, "zmax": bound, "reversescale": True}
    else:
        scale = {"colorscale": COLORSCALE, "zmin": zmin, "zmax": zmax}
    fig = go.Figure(go.Heatmap(
        z=matrix, x=x, y=y, **scale,
        hovertemplate=f"%{{y}}, %{{x}}: {value_name} %{{z:.4g}}<extra></extra>",
        colorbar={"thickness": 10},
    ))
    fig.update_layout(
        title={"text": title, "font": {"size": 13}},
        height=height or int(90 + min(18, max(10, 360 // max(1, len(rows)))) * len(rows)),
        margin={"l": 10, "r": 10, "t": 36, "b": 10},
        xaxis={"title": {"text": col_title}, "fixedrange": True, "type": "category" if cols is not None else "linear",
               "showticklabels": cols is not None and len(x) <= 60, "tickangle": -60},
        yaxis={"title": {"text": row_title}, "autorange": "reversed", "fixedrange": True, "type": "category"},
    )
    if outline_cols is not None:
        lo, hi = outline_cols
        fig.add_shape(type="rect", xref="x", yref="paper", x0=lo - 0.5, x1=hi - 0.5, y0=0, y1=1,
                      line={"color": OUTLINE_COLOUR, "width": 2})
    return fig


ROLE_COLOURS = {
    "previous token": "#1f77b4",
    "next token": "#17becf",
    "same token": "#9467bd",
    "no-op (special tokens)": "#c7c7c7",
    "punctuation": "#8c564b",
    "syntactic": "#d62728",
    "broad": "#ff7f0e",
    "other": "#f2f2f2",
}
ROLE_SHORT = {
    "previous token": "prev", "next token": "next", "same token": "self", "no-op (special tokens)": "no-op",
    "punctuation": "punct", "syntactic": "syntax", "broad": "broad", "other": "",
}


def role_figure(labels: np.ndarray, hover: list[list[str]], title: str) -> go.Figure:
    """A layer x head grid coloured by role; a click on a cell reports (layer, head)."""
    names = list(ROLE_COLOURS)
    layers, heads = labels.shape
    z = np.array([[names.index(labels[l, h]) for h in range(heads)] for l in range(layers)], dtype=np.float32)
    n = len(names)
    colorscale = []
    for i, name in enumerate(names):
        colorscale += [[i / n, ROLE_COLOURS[name]], [(i + 1) / n, ROLE_COLOURS[name]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(heads)), y=list(range(layers)), zmin=-0.5, zmax=n - 0.5,
        colorscale=colorscale, hoverinfo="skip", xgap=2, ygap=2,
        text=[[ROLE_SHORT[labels[l, h]] for h in range(heads)] for l in range(layers)],
        texttemplate="%{text}", textfont={"size": 11},
        colorbar={"tickvals": list(range(n)), "ticktext": names, "thickness": 12, "title": {"text": "role"}},
    ))
    cells = [(l, h) for l in range(layers) for h in range(heads)]
    fig.add_trace(go.Scatter(
        x=[h for _, h in cells], y=[l for l, _ in cells], mode="markers",
        marker={"symbol": "square", "size": 28, "color": "rgba(0,0,0,0.01)"},
        customdata=[[l, h] for l, h in cells], hovertext=[hover[l][h] for l, h in cells], hoverinfo="text",
        showlegend=False, name="heads",
    ))
    _head_grid_layout(fig, title, height=120 + 48 * layers)
    return fig


def bars_figure(labels: list[str], series: dict[str, np.ndarray], title: str, height: int = 300) -> go.Figure:
    """Grouped bars over tokens, one colour per series."""
    x = axis_labels(labels)
    fig = go.Figure([go.Bar(x=x, y=np.asarray(v, dtype=np.float32), name=name) for name, v in series.items()])
    fig.update_layout(
        title={"text": title, "font": {"size": 13}}, height=height, barmode="group",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"type": "category", "fixedrange": True}, yaxis={"fixedrange": True},
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    )
    return fig
