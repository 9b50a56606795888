"""The bar charts' own component (components/plotly_chart.py): plotly.js basic, vendored, drawing the
figures Python's plotly builds; in the app under AppTest, what the component is sent."""

from __future__ import annotations

import json
import re

import plotly.offline

from tests.support import ROOT

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
