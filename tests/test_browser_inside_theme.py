"""Inside a head in Chromium, light and dark: a diverging grid's middle (value 0) follows the page's theme.

Read from the page as drawn: the colour bar's canvas beside "Q (queries)", and the cells of its step; the
SVG download is for a white page whatever the theme, so it keeps the white middle.
"""

from __future__ import annotations

import re

import pytest

from tests import support

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
LINK = "/inside?ilayer=3&ihead=5"

MIDDLE_OF_BAR = """grid => { const c = grid.querySelector('.hs-bar canvas');
    const d = c.getContext('2d').getImageData(0, 0, 1, c.height).data;
    const mid = Math.floor(c.height / 2);  // the bar runs from +bound at the top to -bound: 0 in the middle
    return [...d.slice(4 * mid, 4 * mid + 3)]; }"""

CELL_COLOURS = """grid => { const c = grid.querySelector('canvas.hs-cells');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const out = []; for (let i = 0; i < d.length; i += 4) out.push([d[i], d[i + 1], d[i + 2]]); return out; }"""

FILE_BAR_MIDDLE = """async svgText => {
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const images = [...doc.querySelectorAll('image')];
    const bar = images[images.length - 1];  // the cells' image first, the colour bar last
    const img = new Image(); img.src = bar.getAttribute('href'); await img.decode();
    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
    return [...ctx.getImageData(0, Math.floor(img.height / 2), 1, 1).data.slice(0, 3)]; }"""


@pytest.fixture(scope="module", params=["light", "dark"])
def themed(request, tmp_path_factory):
    log = tmp_path_factory.mktemp(f"streamlit-{request.param}") / "streamlit.log"
    with support.streamlit_server(log_path=log, extra_args=["--theme.base", request.param]) as url:
        yield request.param, url


def _q_grid(page):
    """The grid whose panel is the head's queries (a diverging scale around 0)."""
    grid = page.locator(support.GRID).filter(has=page.locator(".hs-name", has_text="Q (queries)"))
    assert grid.count() == 1
    return grid


def test_a_diverging_grids_middle_follows_the_theme(browser, themed, tmp_path):
    theme, url = themed
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")  # the server decides
    page = context.new_page()
    page.goto(url + LINK)
    support.wait_heatmaps(page, 11, WAIT_MS)
    background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    dark_page = sum(int(v) for v in re.findall(r"\d+", background)[:3]) < 150
    assert dark_page == (theme == "dark"), background
    grid = _q_grid(page)
    middle = grid.evaluate(MIDDLE_OF_BAR)
    cells = grid.evaluate(CELL_COLOURS)
    if theme == "light":
        assert min(middle) >= 235, middle  # white: zero disappears into a light page
    else:
        assert sum(middle) < 200, middle  # a dark grey: no white slabs on a dark page
        assert max(middle) - min(middle) < 30, middle  # grey, not blue or red
    # the cells are drawn from the same palette: the colour of value 0 is among the cells' colours near 0
    assert min(sum(abs(a - b) for a, b in zip(cell, middle)) for cell in cells) < 60
    # the file is for a white page whatever the theme: its colour bar keeps the white middle
    with page.expect_download(timeout=WAIT_MS) as download:
        grid.get_by_role("button", name="Download SVG").click()
    path = tmp_path / f"{theme}.svg"
    download.value.save_as(path)
    assert min(page.evaluate(FILE_BAR_MIDDLE, path.read_text(encoding="utf-8"))) >= 235
    context.close()
