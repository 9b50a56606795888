"""Labels read from the back row (issue 29), in Chromium: each grid element reports its smallest drawn tick
label (data-min-label-px, CSS px) and the labels it left out (data-labels-skipped), and these agree with what
is on screen; the head opened large keeps its small panel's outlines and badge and takes the keyboard."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
LONG = "The old teacher smiled warmly at the young students who had praised her patient lessons yesterday."
"""16 words and a full stop: 17 words to the parser, 19 tokens with [CLS] and [SEP]."""
PROJECTORS = [(1024, 768), (1280, 720), (1920, 1080)]

LABELS = """g => {
  const shown = [...g.querySelectorAll('.hs-ylabel, .hs-xlabel')].filter(e => e.textContent.trim());
  return {min: g.dataset.minLabelPx, skipped: g.dataset.labelsSkipped, drawn: Number(g.dataset.drawn),
          sizes: shown.map(e => parseFloat(getComputedStyle(e).fontSize)),
          rows: [...new Set([...g.querySelectorAll('.hs-ylabel')].map(e => e.textContent))],
          cols: [...new Set([...g.querySelectorAll('.hs-xlabel')].map(e => e.textContent))]};
}"""
"""A grid's own report and what a person sees: every drawn tick label's font size, the row and column labels."""


def _grids(page, selector: str = support.GRID) -> list[dict]:
    return page.locator(selector).evaluate_all(f"gs => gs.map({LABELS})")


def _read_whole(grid: dict, tokens: int, smallest: float) -> None:
    """Every token named on both axes, none left out, none smaller than `smallest`, and the report says so."""
    assert grid["skipped"] == "0", grid
    assert len(grid["rows"]) == len(grid["cols"]) == tokens, grid
    assert min(grid["sizes"]) == float(grid["min"]) >= smallest, grid  # the attribute is what is drawn


def _close_sidebar(page) -> None:
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.hover()
    page.locator("[data-testid=stSidebarCollapseButton] button").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=stSidebar]').getAttribute('aria-expanded') !== 'true'",
        timeout=WAIT_MS,
    )


@pytest.mark.parametrize("size", PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
def test_a_projector_shows_every_label_of_the_layer_at_18_px(browser, app_url, size):
    with watched_page(browser, *size) as page:
        page.goto(f"{app_url}/present?present=layer")
        page.wait_for_selector(".hs-grid[data-drawn='12'][data-min-label-px]", timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        (grid,) = _grids(page)
        _read_whole(grid, 10, 18)  # [CLS] the black cat sat on the mat . [SEP]
        # the figure (panels, labels, colour bar) fills the width of the screen, or shares it with the answer
        right = page.locator(".hs-grid .hs-plane, .hs-grid .hs-beside .hs-aside").evaluate_all(
            "es => Math.max(...es.map(e => e.getBoundingClientRect().right))"
        )
        assert right >= size[0] - 120, right


def test_one_head_at_1920_puts_the_answer_beside_it_on_screen(browser, app_url):
    with watched_page(browser, 1920, 1080) as page:
        page.goto(f"{app_url}/present")
        page.wait_for_selector(".hs-grid[data-drawn='1'] .hs-aside", timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        note = page.locator(".hs-grid .hs-aside")
        assert "subject -> verb (nsubj)" in note.inner_text()
        cells = page.locator(".hs-grid canvas.hs-cells").bounding_box()
        box = note.bounding_box()
        assert box["x"] >= cells["x"] + cells["width"] and box["x"] + box["width"] <= 1920, (box, cells)
        assert box["y"] + box["height"] <= 1080 and cells["y"] + cells["height"] <= 1080  # nothing below the fold
        (grid,) = _grids(page)
        _read_whole(grid, 10, 18)


HEADS_SIZES = [(1440, 900, True), (1024, 768, False)]
"""A laptop with the sidebar open, a projector with it closed."""


@pytest.mark.parametrize("width, height, sidebar", HEADS_SIZES, ids=["1440x900", "1024x768-no-sidebar"])
def test_the_heads_layer_grid_names_every_token_of_a_long_sentence(browser, app_url, width, height, sidebar):
    with watched_page(browser, width, height) as page:
        page.goto(f"{app_url}/?{urlencode({'text': LONG})}")
        support.wait_heatmaps(page, 12, WAIT_MS)
        if not sidebar:
            _close_sidebar(page)
        page.wait_for_function(
            f"(g => g && g.dataset.labelsSkipped === '0' && g.offsetWidth > {width - (500 if sidebar else 200)})"
            "(document.querySelector('.hs-grid[data-drawn=\"12\"]'))",
            timeout=WAIT_MS,
        )
        (grid,) = _grids(page)
        _read_whole(grid, 19, 11)
        assert {"teacher", "smiled", "praised"} <= set(grid["rows"]) & set(grid["cols"])


@pytest.mark.parametrize("width, height, sidebar", HEADS_SIZES, ids=["1440x900", "1024x768-no-sidebar"])
def test_the_syntax_heads_word_heatmaps_name_every_word(browser, app_url, width, height, sidebar):
    with watched_page(browser, width, height) as page:
        page.goto(f"{app_url}/syntax?{urlencode({'text': LONG})}")
        page.wait_for_selector(".hs-grid[data-drawn='4'][data-labels-skipped]", timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        if not sidebar:
            _close_sidebar(page)
        page.wait_for_function(
            f"(g => g && g.dataset.labelsSkipped === '0' && g.offsetWidth > {width - (500 if sidebar else 200)})"
            "(document.querySelector('.hs-grid[data-drawn=\"4\"]'))",
            timeout=WAIT_MS,
        )
        (grid,) = _grids(page, ".hs-grid[data-drawn='4']")
        _read_whole(grid, 17, 11)
        assert {"old", "teacher", "smiled", "praised"} <= set(grid["rows"]) & set(grid["cols"])


def test_a_grid_that_cannot_name_every_token_says_how_many_it_left_out(browser, app_url):
    """A phone and a long text: labels stay at 11 px or more and the grid counts the ones it left out."""
    text = " ".join(["The old teacher smiled warmly at the young students."] * 4)
    with watched_page(browser, 390, 844) as page:
        page.goto(f"{app_url}/?{urlencode({'text': text})}")
        support.wait_heatmaps(page, 12, WAIT_MS)
        grid = _grids(page, ".hs-grid[data-drawn='12']")[0]
        assert float(grid["min"]) >= 11 and min(grid["sizes"]) >= 11, grid
        assert int(grid["skipped"]) == 2 * 42 - len(grid["rows"]) - len(grid["cols"]) > 0, grid


def test_the_opened_head_keeps_its_outlines_and_badge_and_takes_the_keyboard(page, app_url):
    page.goto(app_url)  # layer 2: L2H8 follows nsubj, with cat -> sat outlined
    support.wait_heatmaps(page, 12, WAIT_MS)
    small = page.locator(".hs-grid[data-drawn='12'] .hs-panel[data-name=L2H8]")
    assert small.get_attribute("data-badge") == "follows nsubj" and small.get_attribute("data-arcs") == "1"
    small.locator("canvas").focus()
    page.keyboard.press("Enter")
    large = page.locator(f"{support.LARGE_HEAD} .hs-panel")
    large.wait_for(state="attached", timeout=WAIT_MS)  # a panel box is 0 x 0: what it holds is drawn
    support.wait_idle(page, WAIT_MS)
    assert large.get_attribute("data-name") == "L2H8"
    assert large.get_attribute("data-badge") == "follows nsubj" and large.get_attribute("data-arcs") == "1"
    assert large.locator(".hs-arc").count() == 1 and large.locator(".hs-badge").inner_text() == "follows nsubj"
    label = large.locator("canvas").get_attribute("aria-label")
    assert label.startswith("L2H8: layer 2, head 8 (follows nsubj), 1 arc outlined"), label
    # the keyboard is on the opened head (no longer on the small panel above it)
    page.wait_for_function(
        "(document.activeElement && document.activeElement.getAttribute('aria-label') || '')"
        ".startsWith('L2H8: layer 2, head 8 (follows nsubj), 1 arc outlined. Drag')",
        timeout=WAIT_MS,
    )
    page.keyboard.press("+")  # its keys work: the zoom goes to the server and comes back
    page.wait_for_function(
        f'(c => c && c.width < 10)(document.querySelector("{support.LARGE_HEAD} canvas.hs-cells"))', timeout=WAIT_MS
    )
