"""The Syntax heads page in Chromium, reached first through its own link on a fresh server."""

from __future__ import annotations

import re

import pytest

from tests import support

pytestmark = pytest.mark.browser


def test_deep_link_then_click_an_arc(page, app_url, tmp_path):
    # the first visit of this fresh server is a deep link: it must still get app.py's sidebar
    page.goto(f"{app_url}/syntax")
    support.wait_heatmaps(page, 4)
    assert page.get_by_role("textbox", name="Sentence").input_value() == "The black cat sat on the mat."
    assert page.get_by_role("heading", name=re.compile(r"^nsubj: subject")).count() == 1

    # click the label on top of the amod arc ("black" -> "cat") in the arc diagram (static/headscope/arc_diagram.js)
    drawn = support.wait_texts(page, ".hs-arcs .hs-arc-label", lambda t: "amod" in t, "the arc diagram's labels")
    assert drawn.count("amod") == 1
    page.locator(".hs-arcs .hs-arc-label", has_text="amod").click()
    page.get_by_role("heading", name=re.compile(r"^amod: adjective")).wait_for(timeout=60_000)
    support.wait_heatmaps(page, 4)
    # each of the four heads: its name, and a badge with the direction it reads the arcs in and its score
    names = support.svg_texts(page, support.GRID_TITLES)
    assert len(names) == 4 and all(re.fullmatch(r"L\dH\d+", n) for n in names), names
    badges = support.wait_texts(page, ".hs-grid .hs-badge", lambda t: len(t) == 4, "the four heads' badges")
    assert all(re.search(r"(dep\u2192head|head\u2192dep) \d\.\d\d", b) for b in badges), badges
    # the amod arcs (black -> cat) are outlined on every head
    arcs = page.locator(".hs-grid .hs-panel").evaluate_all("ps => ps.map(p => p.dataset.arcs)")
    assert arcs == ["1"] * 4, arcs
    page.screenshot(path=str(tmp_path / "syntax-amod.png"), full_page=True)
