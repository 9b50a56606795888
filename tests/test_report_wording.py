"""The HTML report says what the Syntax heads page says: its baseline sentence, its table's columns and
the *beats baseline* mark, from one place (headscope.wording)."""

from __future__ import annotations

import html
import re

import pytest

from headscope import report, syntax, wording
from tests.support import app_tables, on_page

TEXT = "The cat, black and sleek, sat on the mat."
"""amod: black -> cat two words to its left (the baseline finds it); nsubj: cat -> sat, far (it does not)."""


def _plain(markup: str) -> str:
    """What a reader sees of a bit of HTML or Markdown: no tags, no ** marks, entities resolved."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("**", "").replace("\\", "")


def _report_section(page: str, relation: str) -> str:
    return page.split(f"<h3>{relation}:")[1].split("<h3>")[0]


def _report_table(section: str) -> list[dict[str, str]]:
    """The section's table of heads as rows of {column: text} (the split's table, above it, aside)."""
    table = next(t for t in re.findall(r"<table>(.*?)</table>", section, re.S) if "<th>head</th>" in t)
    rows = [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    return [dict(zip([html.unescape(h) for h in rows[0]], [html.unescape(c) for c in row])) for row in rows[1:]]


@pytest.fixture(scope="module")
def page_and_scores(loaded):
    from headscope import atlas, attention, roles

    att = attention.run(loaded, TEXT)
    scores = syntax.score_sentence(att, syntax.parse(TEXT))
    return report.build(att, scores, roles.positional_heads(att), atlas.shipped(loaded)), scores


@pytest.mark.parametrize("relation", ["amod", "nsubj"])
def test_the_report_words_the_baseline_as_the_syntax_page(page_and_scores, relation):
    page, scores = page_and_scores
    app = on_page("pages/syntax.py", text=TEXT, relation=relation)
    on_screen = [line for m in app.markdown for line in _plain(m.value).splitlines() if "Positional baseline" in line]
    assert len(on_screen) == 1, on_screen
    in_report = [_plain(p) for p in re.findall(r"<p>(.*?)</p>", _report_section(page, relation), re.S)]
    assert on_screen[0] in in_report  # the same sentence, word for word
    rs = scores.relations[relation]
    expected = "finds the head of 1 of 1 arc" if rs.baseline.score else "no fixed offset"
    assert expected in on_screen[0]


def test_the_report_marks_the_heads_that_beat_the_baseline_as_the_syntax_page(page_and_scores):
    page, scores = page_and_scores
    rows = _report_table(_report_section(page, "amod"))
    app = on_page("pages/syntax.py", text=TEXT, relation="amod")
    tables = app_tables(app)  # the Syntax heads page draws its head tables in Markdown
    sentence_table = next(t for t in tables if "beats baseline" in t and "95% interval" not in t)
    shared = ["head", "direction", "mean weight on arcs (this sentence)", "arcs found (this sentence)"]
    on_page_names = [wording.SHORT_NAMES.get(c, c) for c in rows[0] if c != "positional"]  # the page's short names
    assert on_page_names == list(sentence_table.columns)
    assert set(shared) < set(rows[0])
    # the mark: more of this sentence's arcs found than the offset finds (here 1 of 1: no head can beat it)
    rs = scores.relations["amod"]
    assert rs.baseline.score == 1.0
    assert {r["beats baseline (this sentence)"] for r in rows} == {"no"}
    assert set(sentence_table["beats baseline"]) == {"no"}
    # where the offset finds nothing, a head that finds the arc beats it
    nsubj = _report_table(_report_section(page, "nsubj"))
    assert all(
        (r["beats baseline (this sentence)"] == "yes") == (r["arcs found (this sentence)"] == "1/1") for r in nsubj
    )
    assert any(r["beats baseline (this sentence)"] == "yes" for r in nsubj)
