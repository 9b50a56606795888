"""The bar charts' own component (components/plotly_chart.py): plotly.js basic, vendored, drawing the
figures Python's plotly builds; in the app under AppTest, what the component is sent."""

from __future__ import annotations

import json
import re

import plotly.offline
import pytest

from components import charts
from headscope.canvas import ASSETS
from tests.support import ROOT, app_figures, app_grids, components_data, on_page

VENDOR = ROOT / "static" / "vendor"


def test_the_vendored_plotly_js_is_the_version_pythons_plotly_bundles():
    # a plotly upgrade that moves plotly.js on fails here: re-fetch with scripts/vendor-js.sh at that version
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())["plotly-basic.min.js"]
    header = (VENDOR / "plotly-basic.min.js").read_text(encoding="utf-8")[:200]
    version = re.search(r"plotly\.js \(basic - minified\) v(\S+)", header).group(1)
    assert version == plotly.offline.get_plotlyjs_version()
    assert manifest["package"] == f"plotly.js-basic-dist-min@{version}" and manifest["license"] == "MIT"
    assert "Licensed under the MIT license" in header
    assert "Plotly Technologies" in (VENDOR / "plotly-basic.LICENSE").read_text()


def test_the_rollout_page_sends_its_bars_to_our_component():
    app = on_page("pages/rollout.py")
    assert not app.get("plotly_chart")  # Streamlit's element, whose browser chunk is the whole of plotly.js
    sent = components_data(app, "headscope_plotly_chart")
    assert len(sent) == 1 and app_figures(app) == [json.loads(sent[0]["figure"])]
    figure = app_figures(app)[0]
    assert [t["name"] for t in figure["data"]] == ["rollout after layer 5", "layer 5 alone (mean of heads)"]
    assert figure["layout"]["xaxis"]["fixedrange"] and figure["layout"]["yaxis"]["fixedrange"]  # no zoom drag
    options = sent[0]["config"]["toImageButtonOptions"]  # the camera button: the sidebar's format, a telling name
    assert options == {"format": "png", "filename": "headscope_all-MiniLM-L6-v2_rollout-layer5-token2", "scale": 2}


def test_a_component_needs_its_libraries_in_static_vendor():
    with pytest.raises(ValueError, match="nope.js is not in"):
        charts.served_component("headscope_nothing", ASSETS / "plotly_chart.js", libraries=("nope.js",))


def test_our_components_send_their_data_as_json_bytes():
    """Bytes, not a dict: Streamlit asks pandas of each value of a dict whether it is a dataframe (1.2 ms for a
    grid's colour scale) and writes it out twice; the loader parses the bytes back (components/charts.py)."""
    app = on_page("pages/inside.py")
    ours = [e for e in app.get("bidi_component") if e.proto.component_name.startswith("headscope_")]
    assert len(ours) == 7  # 11 matrices in 6 elements (side by side ones as a row: heatmaps.row), and the bars
    assert len(app_grids(app)) == 11
    assert all(e.proto.WhichOneof("data") == "bytes" for e in ours)
    assert json.loads(ours[0].proto.bytes)["panels"]
    assert charts.encoded({"a": (1, 2), "b": "é"}) == b'{"a":[1,2],"b":"\\u00e9"}' and charts.encoded(None) is None
