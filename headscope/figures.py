"""Plotly figures for the charts that are not matrices: the dependency arc diagram and bar charts.

Every matrix (attention, differences, atlas and role grids, a head's inner steps) is drawn by
the canvas grid instead (headscope/canvas.py, components/heatmap_grid.js).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from headscope.panels import token_labels


def plain(text: str) -> str:
    """Text that plotly shows as it is: its HTML-like markup (<b>, <a href>) escaped as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def axis_labels(tokens: tuple[str, ...] | list[str]) -> list[str]:
    """`token_labels` escaped for plotly (see `plain`): a token is always shown as text, never as markup."""
    return [plain(label) for label in token_labels(tokens)]


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
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                line={"color": ARC_COLOUR if on else ARC_MUTED, "width": 3 if on else 1.5},
            )
        )
        # an arrow head at the dependent's end
        traces.append(
            go.Scatter(
                x=[d],
                y=[0.35],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker={"symbol": "triangle-down", "size": 9, "color": ARC_COLOUR if on else ARC_MUTED},
            )
        )
        tops_x.append((lo + hi) / 2)
        tops_y.append(0.35 + height)
        tops_rel.append(r)
        tops_text.append(f"{plain(words[d])} \u2190{r}\u2014 {plain(words[h])}")
    traces.append(
        go.Scatter(
            x=tops_x,
            y=tops_y,
            mode="markers+text",
            text=tops_rel,
            textposition="top center",
            customdata=[[r] for r in tops_rel],
            hovertext=tops_text,
            hoverinfo="text",
            marker={"size": 14, "color": "rgba(0,0,0,0.02)", "symbol": "square"},
            textfont={"size": 12},
            showlegend=False,
            name="arcs",
        )
    )
    traces.append(
        go.Scatter(
            x=list(range(n)),
            y=[0.0] * n,
            mode="text",
            text=[plain(w) for w in words],
            hoverinfo="skip",
            textfont={"size": 15},
            showlegend=False,
            cliponaxis=False,
        )
    )
    layout = {
        "height": int(130 + 55 * max_height),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "xaxis": {"visible": False, "range": [-0.7, n - 0.3], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-0.4, max_height + 1.0], "fixedrange": True},
        "dragmode": False,
        "hovermode": "closest",
    }
    return go.Figure(data=traces, layout=layout)


def colours_only() -> go.layout.Template:
    """The default template's colour cycle and nothing else (in the app, Streamlit's, which follows the theme).

    Plotly walks and deep-copies a figure's whole template in `to_dict`, which `st.plotly_chart`
    calls on every view: the full template's styles for 30 kinds of trace made a bar chart's
    `to_dict` 1.1 ms instead of 0.14 (with the values as lists, not arrays).
    """
    return go.layout.Template(layout={"colorway": pio.templates[pio.templates.default].layout.colorway})


def bars_figure(labels: list[str], series: dict[str, np.ndarray], title: str, height: int = 300) -> go.Figure:
    """Grouped bars over tokens, one colour per series (values as plain lists: see `colours_only`)."""
    x = axis_labels(labels)
    fig = go.Figure([go.Bar(x=x, y=np.asarray(v, dtype=np.float32).tolist(), name=name) for name, v in series.items()])
    fig.update_layout(
        template=colours_only(),
        title={"text": title, "font": {"size": 13}},
        height=height,
        barmode="group",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"type": "category", "fixedrange": True},
        yaxis={"fixedrange": True},
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    )
    return fig
