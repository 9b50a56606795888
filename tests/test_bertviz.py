"""bertviz's views built to draw offline: local libraries, the data once, safe to embed."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from headscope import attention, bertviz_views
from tests.support import ROOT


def test_vendored_javascript_matches_its_manifest_and_keeps_licences():
    vendor = ROOT / "static" / "vendor"
    manifest = json.loads((vendor / "MANIFEST.json").read_text())
    assert set(manifest) == {
        "require.js",
        "d3.min.js",
        "jquery.min.js",
        "plotly-basic.min.js",
    }  # plotly: test_plotly_chart.py
    for name, entry in manifest.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert "Released under MIT license" in (vendor / "require.js").read_text()[:400]
    assert "Mike Bostock" in (vendor / "d3.LICENSE").read_text()
    assert (
        "jQuery Foundation" in (vendor / "jquery.LICENSE.txt").read_text()
        or "OpenJS" in (vendor / "jquery.LICENSE.txt").read_text()
    )


@pytest.mark.parametrize("view", ["head", "model"])
def test_views_load_nothing_from_the_network_and_carry_the_data_once(cat, view):
    page = bertviz_views.build(cat, view)
    # nothing is fetched from outside: no script source or require.js path is a URL (comments may cite one)
    assert re.findall(r"""(?:src=|:\s*)['"](?:https?:)?//[^'"]+""", page) == []
    assert "/app/static/vendor/require.js" in page and "/app/static/vendor/d3.min" in page
    assert page.count('"attn"') == 1  # the attention goes in once
    assert "const params = PYTHON_PARAMS" not in page  # the marker in the code is filled in
    params = json.loads(
        re.search(r"<script type='application/json' id='bertviz-params'>(.*?)</script>", page, re.S).group(1)
    )
    layers = [0] if view == "head" else list(range(6))  # the head view draws the app's one layer
    assert params["include_layers"] == layers
    assert len(params["attention"][0]["attn"]) == len(layers)


def test_long_texts_are_capped(loaded):
    att = attention.run(loaded, " ".join(["cat"] * 100))  # 102 tokens: 6 layers would be 749k weights
    assert bertviz_views.plan(att, 4) == [4]
    huge = attention.run(loaded, " ".join(["cat"] * 300))
    with pytest.raises(bertviz_views.TooLarge, match="too many"):
        bertviz_views.plan(huge, 0)


def test_tokens_cannot_end_the_script(loaded):
    att = attention.run(loaded, "a </script><script>alert(1)</script> <!-- b")
    page = bertviz_views.build(att, "head")
    assert page.count("</script>") == 3  # require.js, the data, bertviz's script: only the real ends
    assert "<!--" not in page
    data = re.search(r"<script type='application/json' id='bertviz-params'>(.*?)</script>", page, re.S).group(1)
    assert "<" not in data and ">" not in data
    assert json.loads(data)["attention"][0]["left_text"] == list(att.tokens)  # the tokens arrive intact


@pytest.mark.parametrize("view", ["head", "model"])
def test_the_inline_script_is_the_same_for_every_text(loaded, cat, view):
    """So a Content-Security-Policy can allow it by hash (deploy/nginx.conf.template)."""
    other = attention.run(loaded, "Dogs chase squirrels </script> in the park.")
    scripts = {re.findall(r"<script>(.*?)</script>", bertviz_views.build(a, view), re.S)[0] for a in (cat, other)}
    assert len(scripts) == 1
