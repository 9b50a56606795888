"""The charts that are not matrices (bars), built by Python's plotly and drawn by plotly.js *basic*.

Streamlit's plotly element loads the whole of plotly.js (4.7 MB, about 1.2-1.4 s of a fresh tab
on a 2-core machine); the bars need only plotly.js basic (1.2 MB), the same plotly.js version
as Python's plotly bundles, which the app serves (static/vendor/) and a page loads once, whatever
its number of charts (charts.served_component). Matrices are drawn by our canvas grid instead.
"""

from __future__ import annotations

import plotly.graph_objects as go

from components import charts
from headscope.canvas import ASSETS

_chart = charts.served_component(
    "headscope_plotly_chart", ASSETS / "plotly_chart.js", libraries=("plotly-basic.min.js",)
)  # hs_shared.js, then plotly_chart.js, after plotly.js basic


def show(fig: go.Figure, key: str, name: str | None = None) -> None:
    """Draw a figure in the page's theme, with the shared toolbar; `name` names its download (default: the key).

    The figure is read, never changed (the results cache shares it between sessions); it travels as
    plotly's own JSON (`to_json`: numpy arrays and dates included), which plotly.js reads as is.
    """
    _chart(data={"figure": fig.to_json(), "config": charts.config(name or key)}, key=key)
