"""Downloads: attention as .npz and .csv, scores and atlases, and the offline HTML report."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np

from headscope import atlas, attention, export, report, syntax
from tests.test_atlas import hand_corpus

XSS = 'Look <img src=x onerror=alert(1)> </script><script>alert(2)</script> "><svg onload=alert(3)>'


def test_npz_round_trip(cat):
    data = np.load(io.BytesIO(export.attention_npz(cat)))
    np.testing.assert_array_equal(data["attention"], cat.weights)
    assert list(data["tokens"]) == list(cat.tokens) and str(data["model"]) == "all-MiniLM-L6-v2"


def test_csv_long_format(cat):
    rows = list(csv.reader(io.StringIO(export.attention_csv(cat, [2]))))
    assert rows[0] == ["layer", "head", "from_index", "from", "to_index", "to", "weight"]
    assert len(rows) == 1 + 12 * 10 * 10
    row = rows[1 + 5 * 100 + 3 * 10 + 7]  # layer 2, head 5, from 3 ("cat"), to 7 ("mat")
    assert row[:6] == ["2", "5", "3", "cat", "7", "mat"]
    assert abs(float(row[6]) - cat.weights[2, 5, 3, 7]) < 1e-6


def test_scores_and_atlas_exports(loaded):
    text = "The keys to the old cabinet are on the table."
    rs = syntax.score_sentence(attention.run(loaded, text), syntax.parse(text)).relations["nsubj"]
    rows = list(csv.DictReader(io.StringIO(export.scores_csv(rs))))
    assert len(rows) == 144 and rows[0]["layer"] == str(rs.heads[0].layer)
    assert json.loads(export.scores_json(rs))["arcs"] == [{"dependent": 1, "head": 6, "relation": "nsubj"}]
    a = atlas.score(hand_corpus(), model="hand", corpus="hand")
    rows = list(csv.DictReader(io.StringIO(export.atlas_csv(a))))
    dobj = [r for r in rows if r["relation"] == "dobj"]
    assert [r["accuracy"] for r in dobj] == ["0.5", "0"]
    assert json.loads(export.atlas_json(a))["relations"]["dobj"]["count"] == 2


def test_report_is_self_contained_and_escapes_text(loaded):
    att = attention.run(loaded, XSS)
    scores = syntax.score_sentence(att, syntax.parse(XSS))
    page = report.build(att, scores)
    assert page.startswith("<!DOCTYPE html>") and "Plotly" not in page  # no plotly.js carried
    assert "cdn" not in page.lower().split("<body>")[1][:2000]
    assert "<script src=" not in page  # the renderers inlined, nothing fetched
    assert page.count("class='hs-arcs-host'") == 1 and "window.headscopeArcs(" in page  # the parse, as in the app
    assert page.count("class='hs-host'") == 6 and "window.headscopeGrid" in page  # six layers, the app's renderer
    assert "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the sentence, shown as text
    # inside the data's JSON, the markup is escaped for the <script> block
    assert "</script><script>alert(2)" not in page


def test_report_has_the_heads_that_matter_when_given(loaded):
    from headscope import knockout

    text = "The black cat sat on the mat."
    att = attention.run(loaded, text)
    imp = knockout.importance(loaded, text)
    page = report.build(att, syntax.score_sentence(att, syntax.parse(text)), importance=imp)
    assert "<h2>Which heads matter</h2>" in page and page.count("class='hs-host'") == 6 + 1
    assert imp.measure in page and "Other heads can take over" in page
    assert "<h2>Which heads matter</h2>" not in report.build(att, None)


COMMENT = "The cat sat on a<!--<script mat & a rug."
"""A sentence that put the report's arc diagram out of reach: `<!--<script` inside a script's JSON."""


def test_every_json_in_a_script_escapes_markup(loaded):
    from headscope import canvas

    assert canvas.script_json({"t": "<!--<script>&</script>"}) == (
        '{"t": "\\u003c!--\\u003cscript\\u003e\\u0026\\u003c/script\\u003e"}'
    )
    att = attention.run(loaded, COMMENT)
    page = report.build(att, syntax.score_sentence(att, syntax.parse(COMMENT)))
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    starts = ("\nfor (const [key, data] of", "\nwindow.headscopeArcs(document")  # each after its renderer
    data = [s[s.index(start) :] for s in scripts for start in starts if start in s]
    assert len(data) == 2, len(data)
    for script in data:
        assert "<!--" not in script and "<script" not in script and "&" not in script
    assert "a&lt;!--&lt;script mat &amp; a rug" in page  # the sentence, shown as text
