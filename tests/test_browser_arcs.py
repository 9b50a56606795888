"""The Syntax heads page's arc diagram in Chromium: our own SVG component (static/headscope/arc_diagram.js)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from tests import support
from tests.browser_fixtures import watched_page

LONG_TEXT = " ".join(
    [
        "The old lighthouse keeper walked slowly along the narrow path that led from his small stone house",
        "to the cliffs above the harbour, where the fishing boats rocked gently in the grey morning light.",
        "He carried a heavy brass lantern in one hand and a worn leather notebook in the other, because",
        "every day for thirty years he had written down the colour of the sea, the direction of the wind",
        "and the names of all the ships that passed the point before noon.",
        "His daughter, who taught music at the village school, often told him that nobody would ever read",
        "those pages, but he only smiled and said that the sea deserved a careful witness.",
        "When the storm finally came in late autumn, the notebook was the only record that showed how the",
        "tides had changed, and the engineers from the city studied every line of it for weeks.",
    ]
)

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores shared with other test runs
MIN_WORD_PX = 14  # the smallest font size a word may have, however long the text

ARCS = ".hs-arcs[data-drawn]"

WORDS_JS = """els => els.map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
          size: parseFloat(getComputedStyle(e).fontSize)};
})"""
"""Each word of the diagram as a person sees it: its text, where it is on the page and its font size."""


def drawn_words(page, count: int) -> list[dict]:
    """The diagram's words once all `count` are drawn (the diagram comes on its own schedule)."""
    support.wait_texts(page, ".hs-arcs .hs-word", lambda t: len(t) == count, "the arc diagram's words", WAIT_MS)
    return page.locator(".hs-arcs .hs-word").evaluate_all(WORDS_JS)


def highlighted(page) -> list[str]:
    """The relations of the arcs drawn in colour."""
    return page.locator(".hs-arcs .hs-arc.hs-on").evaluate_all("els => els.map(e => e.dataset.relation)")


def assert_apart(words: list[dict]) -> None:
    """Every word at least MIN_WORD_PX and none touching the next one in the row."""
    assert all(w["size"] >= MIN_WORD_PX for w in words), [w for w in words if w["size"] < MIN_WORD_PX]
    for a, b in zip(words, words[1:]):
        assert a["right"] + 4 <= b["left"], (a, b)  # at least a few px of space between words
        assert abs(a["top"] - b["top"]) < 2  # on one row


def test_the_page_draws_every_word_and_a_click_on_an_arc_picks_its_relation(page, app_url):
    from headscope import syntax

    words = list(syntax.parse("The black cat sat on the mat.").words)
    page.goto(f"{app_url}/syntax")
    page.locator(ARCS).wait_for(timeout=WAIT_MS)
    assert not page.locator(".js-plotly-plot").count()  # no plotly on the page
    seen = drawn_words(page, len(words))
    assert [w["text"] for w in seen] == words
    assert_apart(seen)
    body = page.locator(".hs-arcs .hs-arcs-body").bounding_box()  # all of them in the box, no scrolling
    assert all(body["x"] <= w["left"] and w["right"] <= body["x"] + body["width"] for w in seen), (body, seen)
    assert highlighted(page) == ["nsubj"]
    diagram = page.get_by_role("group", name=re.compile("^Dependency parse: 8 words, 6 arcs"))
    assert diagram.count() == 1

    # hover: the two words and the relation
    page.locator(".hs-arcs .hs-arc[data-relation='amod'] .hs-arc-label").hover()
    tip = page.locator(".hs-arcs .hs-tip")
    tip.wait_for(state="visible", timeout=30_000)
    assert tip.text_content() == "black \u2190amod\u2014 cat (adjective -> noun)"

    # a click on the arc's label (the arc is an ARIA button) picks its relation, as the segmented control would
    page.get_by_role("button", name=re.compile("^amod arc from cat to black")).locator(".hs-arc-label").click()
    page.get_by_role("heading", name=re.compile(r"^amod: adjective")).wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    support.wait_texts(page, ".hs-arcs .hs-arc.hs-on", lambda t: t == ["amod"], "the amod arc in colour", WAIT_MS)

    # the keyboard: Tab reaches an arc, the arrows move between arcs, Enter picks
    first = page.get_by_role("button", name=re.compile("^det arc from cat to The"))
    first.focus()
    page.keyboard.press("ArrowRight")  # the arcs left to right: det (The), amod (black), nsubj (cat)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile(r"^nsubj: subject")).wait_for(timeout=WAIT_MS)

    # the same arc clicked again after the picker moved away still picks it
    page.locator("[data-testid=stButtonGroup]").get_by_text("det", exact=True).click()  # the relation picker
    page.get_by_role("heading", name=re.compile(r"^det: determiner")).wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    page.get_by_role("button", name=re.compile("^nsubj arc from sat to cat")).locator(".hs-arc-label").click()
    page.get_by_role("heading", name=re.compile(r"^nsubj: subject")).wait_for(timeout=WAIT_MS)


@pytest.mark.parametrize("width, height", [(1024, 768), (1440, 900)])
def test_a_150_word_text_keeps_its_words_readable(browser, app_url, width, height, tmp_path):
    from headscope import syntax

    words = list(syntax.parse(LONG_TEXT).words)
    assert len(LONG_TEXT.split()) == 150
    with watched_page(browser, width, height) as page:
        page.goto(f"{app_url}/syntax?{urlencode({'text': LONG_TEXT, 'relation': 'nsubj'}, quote_via=quote)}")
        page.locator(ARCS).wait_for(timeout=WAIT_MS)
        seen = drawn_words(page, len(words))
        assert [w["text"] for w in seen] == words
        assert_apart(seen)  # the words keep their size and spacing: the diagram is wider than its box...
        body = page.locator(".hs-arcs .hs-arcs-body")
        inside, scroll = body.evaluate("b => [b.clientWidth, b.scrollWidth]")
        assert scroll > 2 * inside, (inside, scroll)  # ...and scrolls sideways inside it
        assert page.locator(".hs-arcs .hs-status").text_content() == "Scroll sideways for the rest of the sentence."
        # the chosen relation's first arc is in view: its label inside the box's visible part
        box = body.bounding_box()
        first = page.locator(".hs-arcs .hs-arc.hs-on .hs-arc-label").first.bounding_box()
        assert box["x"] <= first["x"] and first["x"] + first["width"] <= box["x"] + box["width"], (box, first)
        # labels of arcs at one height do not overlap
        labels = page.locator(".hs-arcs .hs-arc-label").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top]; })"
        )
        rows: dict[int, list] = {}
        for left, right, top in labels:
            rows.setdefault(round(top), []).append((left, right))
        for row in rows.values():
            row.sort()
            assert all(a[1] <= b[0] for a, b in zip(row, row[1:])), row
        page.screenshot(path=str(tmp_path / f"long-{width}x{height}.png"))


def test_dark_theme_and_the_svg_file_drawn_from_the_page_s_layout(browser, dark_url):
    import xml.etree.ElementTree as ET

    with watched_page(browser, 1440, 900) as page:
        page.goto(f"{dark_url}/syntax")
        page.locator(ARCS).wait_for(timeout=WAIT_MS)
        words = drawn_words(page, 8)
        # on a dark page the words are light (the page's own text colour) and the chosen arcs red
        ink = page.locator(".hs-arcs .hs-word").first.evaluate("e => getComputedStyle(e).fill")
        assert sum(int(v) for v in re.findall(r"\d+", ink)[:3]) > 450, ink
        assert highlighted(page) == ["nsubj"]
        page_xs = page.locator(".hs-arcs .hs-word").evaluate_all("els => els.map(e => e.getAttribute('x'))")
        with page.expect_download(timeout=60_000) as svg:
            page.locator(".hs-arcs").get_by_role("button", name="Download SVG").click()
        assert svg.value.suggested_filename == "headscope_all-MiniLM-L6-v2_arcs-nsubj.svg"
        root = ET.parse(svg.value.path()).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    # the file: the same words at the same places, dark text on white whatever the page's theme
    texts = [t for t in root.iter(f"{ns}text") if t.get("class") == "hs-word"]
    assert [t.text for t in texts] == [w["text"] for w in words]
    assert [t.get("x") for t in texts] == page_xs
    assert "#31333f" in root.get("style") and root.find(f"{ns}rect").get("fill") == "white"
    arcs = [g for g in root.iter(f"{ns}g") if (g.get("class") or "").split()[:1] == ["hs-arc"]]
    assert len(arcs) == 6 and [g.get("data-relation") for g in arcs if "hs-on" in g.get("class")] == ["nsubj"]
