"""The arc diagram's data (headscope/arcs.py), from the real parser: levels, highlight, texts, the report."""

from __future__ import annotations

import json
import re

import pytest

from headscope import arcs, syntax
from tests.test_browser_arcs import LONG_TEXT

SENTENCES = (
    "The black cat sat on the mat.",
    "The keys to the old cabinet are on the table.",
    "The dog that the children adopted last spring sleeps all day.",
    LONG_TEXT,
)


@pytest.mark.parametrize("text", SENTENCES)
def test_no_two_arcs_on_a_level_share_a_stretch_of_the_row(text):
    p = syntax.parse(text)
    placed = arcs.levels(p.arcs())
    assert sorted((a.dependent, a.head, a.relation) for a in placed) == sorted(p.arcs())  # every arc, once
    for a in placed:
        for b in placed:
            if a is not b and a.level == b.level:
                assert a.span[1] <= b.span[0] or b.span[1] <= a.span[0], (a, b)  # labels side by side, apart
            if a is not b and b.span[0] <= a.span[0] and a.span[1] <= b.span[1]:
                assert b.level > a.level, (a, b)  # an arc over another clears it


def test_levels_of_a_small_tree():
    # "The black cat": det over amod, both into "cat"; nsubj from "sat"
    placed = arcs.levels([(0, 2, "det"), (1, 2, "amod"), (2, 3, "nsubj")])
    assert [(a.relation, a.level) for a in placed] == [("det", 2), ("amod", 1), ("nsubj", 1)]
    assert arcs.levels([]) == []


def test_the_chosen_relation_is_highlighted_and_named():
    p = syntax.parse("The black cat sat on the mat.")
    d = arcs.diagram(p.words, p.arcs(), "amod")
    assert d["words"] == list(p.words)
    on = [a for a in d["arcs"] if a["on"]]
    assert [(a["dependent"], a["head"]) for a in on] == [(1, 2)]  # black <- cat
    assert d["arcs"][d["first"]] is on[0] or d["arcs"][d["first"]] == on[0]
    assert on[0]["hover"] == "black \u2190amod\u2014 cat (adjective -> noun)"
    assert on[0]["label"].startswith("amod arc from cat to black") and "Press to pick amod" in on[0]["label"]
    assert d["levels"] == max(a["level"] for a in d["arcs"])
    every = arcs.diagram(p.words, p.arcs(), syntax.ALL)
    assert all(a["on"] for a in every["arcs"]) and every["first"] == 0
    none = arcs.diagram(p.words, p.arcs(), "poss")  # no poss arc in this sentence
    assert not any(a["on"] for a in none["arcs"]) and none["first"] is None


def test_relations_one_cannot_pick_say_so():
    p = syntax.parse("He ran quickly.")
    d = arcs.diagram(p.words, p.arcs(), "nsubj")
    other = [a for a in d["arcs"] if a["relation"] not in syntax.RELATION_CHOICES]
    assert other and all("Not one of the relations to pick" in a["label"] for a in other), d["arcs"]


def test_words_are_sent_as_text_an_svg_can_hold():
    d = arcs.diagram(("a\x01b", "<b>"), [(0, 1, "dep2")], "all")
    assert d["words"] == ["a\ufffdb", "<b>"]  # markup stays text (the renderer sets textContent)


def test_one_script_for_the_page_and_the_report():
    script = arcs.script()
    assert script.index("function savePicture") < script.index("function layout(")  # shared part first
    assert "export default function" in script and "window.headscopeArcs" in script
    assert not re.search(r"</script", script, re.I)  # it can sit in a <script> block of the report


def test_report_draws_the_parse_with_the_app_s_renderer(cat):
    from headscope import report

    p = syntax.parse(cat.text)
    page = report.build(cat, syntax.score_sentence(cat, p))
    start = page.index("window.headscopeArcs(document.getElementById('hs-arcs'), ") + len(
        "window.headscopeArcs(document.getElementById('hs-arcs'), "
    )
    data, _ = json.JSONDecoder().raw_decode(page[start:])
    assert data["words"] == list(p.words) and data["clickable"] is False
    assert all(a["on"] for a in data["arcs"]) and len(data["arcs"]) == len(p.arcs())  # every relation, as before
    assert "plotly" not in page.lower()
