"""Plotly figures for the charts that are not matrices: bar charts.

Every matrix (attention, differences, atlas and role grids, a head's inner steps) is drawn by
the canvas grid instead (headscope/canvas.py, static/headscope/heatmap_grid.js), the dependency arc
diagram by its own SVG component (headscope/arcs.py, static/headscope/arc_diagram.js).
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


def colours_only() -> go.layout.Template:
    """The default template's colour cycle and nothing else (in the app, the chart takes the theme's).

    Plotly walks and deep-copies a figure's whole template in `to_dict`/`to_json`, which the app
    calls on every view (components/plotly_chart.py): the full template's styles for 30 kinds of
    trace made a bar chart's `to_dict` 1.1 ms instead of 0.14 (with the values as lists, not arrays).
    """
    return go.layout.Template(layout={"colorway": pio.templates[pio.templates.default].layout.colorway})


def bars_figure(labels: list[str], series: dict[str, np.ndarray], title: str, height: int = 300) -> go.Figure:
    """Grouped bars over tokens, one colour per series (values as plain lists: see `colours_only`)."""
    x = axis_labels(labels)
    fig = go.Figure(
        [
            go.Bar(
                x=x,
                y=np.asarray(v, dtype=np.float32).tolist(),
                name=name,
                # the series in the hover box itself: plotly's box beside it takes the plot's background,
                # which the app leaves see-through
                hovertemplate=f"{plain(name)}<br>%{{x}}: %{{y:.4g}}<extra></extra>",
            )
            for name, v in series.items()
        ]
    )
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
