"""A phone (390x844, touch) in Chromium (issue 29): a shared link shows the answer, then the heads; Presentation
takes one row of controls, opens on the answer's head and labels every stacked panel; a sentence is applied
with a tap."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000
HEAD = re.compile(r"the best, (L\d+H\d+)")


@pytest.fixture
def phone(browser):
    with watched_page(browser, 390, 844, is_mobile=True, has_touch=True) as page:
        yield page


def _top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def test_a_shared_link_shows_the_answer_then_the_heads(phone, app_url):
    page = phone
    page.goto(f"{app_url}/?{urlencode({'text': 'The black cat sat on the mat.'})}")
    support.wait_heatmaps(page, 12, WAIT_MS)
    answer = page.locator("[data-testid=stAlert]", has_text="subject \u2192 verb (nsubj)")
    assert answer.bounding_box()["y"] < _top(page, support.HEATMAP)
    page.goto(f"{app_url}/present?{urlencode({'text': 'The black cat sat on the mat.'})}")
    page.wait_for_selector(".hs-grid[data-drawn='1'] .hs-aside", timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    assert "subject -> verb (nsubj)" in page.locator(".hs-aside").inner_text()
    assert _top(page, ".hs-aside") < _top(page, support.HEATMAP)


CONTROLS = ("Previous", "One head", "One layer", "Jump to a head", "Share", "Next")


def test_presentation_on_a_phone(phone, app_url):
    page = phone
    page.goto(f"{app_url}/present")
    page.wait_for_selector(".hs-grid[data-drawn='1'] .hs-aside", timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    # one compact row of controls, each named for a screen reader, all on screen
    boxes = [page.get_by_role("button", name=name).first.bounding_box() for name in CONTROLS]
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 4, boxes
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 and b["height"] <= 48 for b in boxes), boxes
    # on the answer's head: the one the answer names
    head = HEAD.search(page.locator(".hs-aside").inner_text())[1]
    heading = page.locator("[data-testid=stMain] h4").first.inner_text()
    assert heading.startswith(f"{head} \u00b7"), (head, heading)
    assert page.locator(".hs-grid canvas.hs-cells").get_attribute("aria-label").startswith(f"{head}:")
    # the layer: every stacked panel names its rows and columns
    page.get_by_role("button", name="One layer").tap()
    page.wait_for_selector(".hs-grid[data-drawn='12']", timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    labelled = page.locator(".hs-grid .hs-panel").evaluate_all(
        "ps => ps.map(p => [p.dataset.name, p.querySelectorAll('.hs-ylabel').length, "
        "p.querySelectorAll('.hs-xlabel').length])"
    )
    layer = head[1 : head.index("H")]
    assert [name for name, _, _ in labelled] == [f"L{layer}H{h}" for h in range(12)]
    assert all(rows == cols == 10 for _, rows, cols in labelled), labelled
    assert page.locator(".hs-grid").get_attribute("data-labels-skipped") == "0"


def test_a_link_that_names_a_head_opens_on_it(phone, app_url):
    page = phone
    page.goto(f"{app_url}/present?player=0&phead=3")
    page.wait_for_selector(".hs-grid[data-drawn='1'] canvas[aria-label^='L0H3:']", timeout=WAIT_MS)


def test_a_sentence_is_applied_with_a_tap(phone, app_url):
    page = phone
    page.goto(app_url)
    support.wait_heatmaps(page, 12, WAIT_MS)
    page.locator("[data-testid=stExpandSidebarButton]").tap()
    box = page.get_by_role("textbox", name="Sentence")
    box.tap()
    box.fill("A giraffe ate leaves.")
    page.get_by_role("button", name="Apply").tap()
    support.wait_texts(
        page, ".hs-grid[data-drawn='12'] .hs-ylabel", lambda texts: "leaves" in texts, "the new sentence's labels"
    )
