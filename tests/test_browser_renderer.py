"""The one renderer of every matrix (static/headscope/heatmap_grid.js), in Chromium, across the app.

Every page's matrices are grids of that component and none is a plotly heatmap; the SVG file
is drawn from the same geometry as the page; the head opened large zooms (drag, keys, Reset);
the role grid opens a head by click and by keyboard; the dark theme keeps labels readable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
SVG = "{http://www.w3.org/2000/svg}"

PAGES = {  # title in the navigation: (address, canvas grids, plotly charts (bars))
    "Heads": ("", 1, 0),
    "Syntax heads": ("syntax", 1, 0),  # the arc diagram is its own component (test_browser_arcs.py)
    "Head atlas": ("atlas", 1, 0),
    "Model overview": ("overview", 1, 0),
    "Inside a head": ("inside", 11, 1),
    "Attention rollout": ("rollout", 2, 1),
    "Switch heads off": ("knockout", 2, 0),  # importance: the sentence and the shipped corpus average
    "Compare": ("compare", 3, 0),  # A, B, and (the tab open first) A minus B
    # (side by side ones are one element, a row: components/heatmaps.py, `row`; each is a grid of its own)
    "Presentation mode": ("present", 1, 0),
    "Guess the head": ("quiz", 0, 0),  # with no class code: the code box (a class's grids: test_quiz_page.py)
    "bertviz views": ("bertviz", 0, 0),
}

PLOTLY_TRACES = "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => (p.data || []).map(t => t.type))"
"""The trace types of every plotly chart on the page, from plotly's own data on its element."""


def _drawn_grids(page) -> list[int]:
    """Panels drawn by each grid on the page (its data-drawn), in page order."""
    return page.locator(support.GRID).evaluate_all("gs => gs.map(g => Number(g.dataset.drawn || 0))")


def test_every_page_draws_its_matrices_in_the_one_renderer(page, app_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(app_url)
    support.wait_heatmaps(page, 12, WAIT_MS)
    nav = page.locator("[data-testid=stSidebarNav] a")
    found = nav.evaluate_all("links => links.map(a => [a.innerText.trim().split('\\n').pop(), a.getAttribute('href')])")
    assert [title for title, _ in found] == list(PAGES), found  # a new page needs its row above
    for title, href in found:
        path, grids, charts = PAGES[title]
        assert href.rstrip("/").endswith(f"/{path}".rstrip("/")), (title, href)
        page.goto(f"{app_url}/{path}")  # a new document: nothing of the last page is left on it
        page.locator("[data-testid=stMain] h1, [data-testid=stMain] h4").first.wait_for(timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        try:
            page.wait_for_function(
                f"document.querySelectorAll('{support.GRID}[data-drawn]').length === {grids} && "
                f"[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.data && p.data.length).length === {charts}",
                timeout=WAIT_MS,
            )
        except PlaywrightTimeout:
            raise AssertionError(
                f"{title}: expected {grids} grids and {charts} plotly charts; found grids "
                f"{_drawn_grids(page)} and charts of traces {page.evaluate(PLOTLY_TRACES)}"
            ) from None
        support.wait_idle(page, WAIT_MS)
        drawn = _drawn_grids(page)
        assert len(drawn) == grids and all(n >= 1 for n in drawn), (title, drawn)
        assert page.locator(support.HEATMAP).count() == sum(drawn), title  # one canvas a panel
        traces = page.evaluate(PLOTLY_TRACES)
        assert len(traces) == charts and all(traces), (title, traces)
        assert not {t for chart in traces for t in chart} & {"heatmap", "heatmapgl", "image", "contour"}, (
            title,
            traces,
        )
        assert page.locator(support.PLOTLY_HEATMAPS).count() == 0, title


ROW_BOXES = """gs => gs.map(g => {
  const r = g.getBoundingClientRect();
  const cell = g.parentElement;
  return {left: r.left, right: r.right, top: r.top, heading: cell.querySelector(':scope > .hs-heading')?.innerText || '',
          buttons: [...g.querySelectorAll(':scope > .hs-tools button')].map(b => b.innerText)};
})"""
"""Each grid of the page's first row: its box, the heading above it, its download buttons."""


@pytest.mark.parametrize("width, wraps", [(1024, False), (560, True)])
def test_a_row_of_grids_stands_side_by_side_and_wraps_in_a_narrow_window(browser, app_url, width, wraps):
    with watched_page(browser, width, 768) as page:
        page.goto(f"{app_url}/compare")
        support.wait_heatmaps(page, 12 * 3, WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        a, b = page.locator(".hs-row >> nth=0").locator(support.GRID).evaluate_all(ROW_BOXES)
        assert a["heading"].startswith("A: The black cat") and b["heading"].startswith("B: ")
        assert a["buttons"] == b["buttons"] and "SVG" in " ".join(a["buttons"])  # each its own downloads
        if wraps:  # one under the other, each the row's whole width
            assert b["top"] > a["top"] + 100 and abs(a["left"] - b["left"]) < 2, (a, b)
        else:  # side by side: the same top, B right of A
            assert abs(a["top"] - b["top"]) < 2 and b["left"] >= a["right"] + 8, (a, b)


QKV_ROW = """() => {
  const row = [...document.querySelectorAll('.hs-row')].find(r => r.querySelector('.hs-name')?.textContent.startsWith('Q ('));
  const box = e => e.getBoundingClientRect();
  return [...row.querySelectorAll('.hs-grid')].map(g => ({
    name: g.querySelector('.hs-name').textContent, left: box(g).left, top: box(g).top, width: box(g).width,
    nameRight: box(g.querySelector('.hs-name')).right, barTitleLeft: box(g.querySelector('.hs-bar-title')).left,
    buttonHeights: [...g.querySelectorAll(':scope > .hs-tools button')].map(b => box(b).height)}));
}"""
"""Inside a head's row of Q, K and V: each grid's box, where its title ends and its colour bar's title starts,
and its download buttons' heights."""


@pytest.mark.parametrize("width, side_by_side", [(1024, False), (1440, True)])
def test_a_row_stands_side_by_side_only_if_every_grid_fits(browser, app_url, width, side_by_side):
    """Three grids that would each get under 240 px stand one under another, not two beside and one under:
    a squeezed grid ran its title into its colour bar's and wrapped its download buttons."""
    with watched_page(browser, width, 768) as page:
        page.goto(f"{app_url}/inside")
        support.wait_heatmaps(page, 11, WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        q, k, v = page.evaluate(QKV_ROW)
        assert [g["name"].split()[0] for g in (q, k, v)] == ["Q", "K", "V"]
        if side_by_side:
            assert q["top"] == k["top"] == v["top"] and q["left"] < k["left"] < v["left"], (q, k, v)
        else:
            assert q["top"] < k["top"] < v["top"] and q["left"] == k["left"] == v["left"], (q, k, v)
        for grid in (q, k, v):
            assert grid["nameRight"] < grid["barTitleLeft"], grid  # the title ends before the bar's begins
            assert len(set(grid["buttonHeights"])) == 1 and grid["buttonHeights"][0] < 40, grid  # one line each


# ---- the page and its SVG file: one geometry -------------------------------------------

PAGE_ITEMS = """plane => {
  const at = plane.getBoundingClientRect();
  const texts = [...plane.querySelectorAll('span')].filter(e => e.textContent.trim()).map(e => {
    const r = e.getBoundingClientRect();
    return {cls: e.className, text: e.textContent, cx: r.left + r.width / 2 - at.left, cy: r.top + r.height / 2 - at.top,
            w: e.offsetWidth};
  });
  const boxes = [...plane.querySelectorAll('canvas.hs-cells, .hs-arc, .hs-bar canvas')].map(e => {
    const r = e.getBoundingClientRect();
    return [e.matches('.hs-arc') ? 'box' : 'image', r.left - at.left, r.top - at.top, r.width, r.height];
  });
  return {texts, boxes};
}"""
"""Every text of a grid's plane (centre of what is drawn, its unrotated width) and every box, relative to the plane."""


def _anchor(item: dict, svg_text) -> tuple[float, float]:
    """Where the page put a text's anchor: its drawn centre moved back along the text by its anchor and angle.

    The SVG says how the text is anchored (start, middle, end) and turned (rotate(a x y));
    the page's span must be anchored and turned the same way for these to meet.
    """
    import math

    angle = 0.0
    turn = re.match(r"rotate\(([-\d.]+) ", svg_text.get("transform", ""))
    if turn:
        angle = math.radians(float(turn.group(1)))
    along = {"start": item["w"] / 2, "middle": 0.0, "end": -item["w"] / 2}[svg_text.get("text-anchor")]
    return item["cx"] - along * math.cos(angle), item["cy"] - along * math.sin(angle)


def _svg_boxes(root) -> list[list]:
    out = []
    for e in root.iter():
        if e.tag == f"{SVG}image" or (e.tag == f"{SVG}rect" and e.get("class") == "hs-arc"):
            out.append(
                ["box" if e.tag == f"{SVG}rect" else "image", *(float(e.get(k)) for k in ("x", "y", "width", "height"))]
            )
    return out


def test_the_svg_file_is_drawn_from_the_pages_geometry(browser, app_url, tmp_path):
    # wide enough that the page draws the panels at their full size, the size of the file
    context = browser.new_context(viewport={"width": 2400, "height": 1200})
    page = context.new_page()
    page.goto(app_url)  # layer 2: names, the badge "follows nsubj", the nsubj arcs outlined, the colour bar
    support.wait_heatmaps(page, 12, WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Download SVG").click()
    download.value.save_as(tmp_path / "grid.svg")
    root = ET.parse(tmp_path / "grid.svg").getroot()
    shown = page.locator(".hs-plane").evaluate(PAGE_ITEMS)
    in_file = [t for t in root.iter(f"{SVG}text")]

    # the same texts, in the same order, with the same classes
    assert [(t["cls"], t["text"]) for t in shown["texts"]] == [(t.get("class"), t.text) for t in in_file]
    classes = {t.get("class") for t in in_file}
    assert {
        "hs-name",
        "hs-badge hs-follows",
        "hs-ylabel",
        "hs-xlabel",
        "hs-ytitle",
        "hs-xtitle",
        "hs-bar-tick",
        "hs-bar-title",
    } <= classes, classes
    # the cells, the outlined arcs and the colour bar: the same boxes
    boxes = _svg_boxes(root)
    assert [b[0] for b in shown["boxes"]] == [b[0] for b in boxes] and len(boxes) == 12 + 12 + 1
    for mine, theirs in zip(shown["boxes"], boxes):
        assert all(abs(a - b) <= 1.5 for a, b in zip(mine[1:], theirs[1:])), (mine, theirs)
    # every text's anchor where the file puts it (1.5 px: the page rounds nothing, the browser a little)
    off = [
        (t["cls"], t["text"], _anchor(t, e), (float(e.get("x")), float(e.get("y"))))
        for t, e in zip(shown["texts"], in_file)
    ]
    wrong = [o for o in off if abs(o[2][0] - o[3][0]) > 1.5 or abs(o[2][1] - o[3][1]) > 1.5]
    assert not wrong, wrong[:10]
    context.close()


# ---- zoom on the head opened large -------------------------------------------------------

LARGE = support.LARGE_HEAD


def _large(page) -> tuple[int, int]:
    """Rows and columns the large head's canvas shows (one pixel a cell)."""
    return tuple(page.locator(f"{LARGE} canvas.hs-cells").evaluate("c => [c.height, c.width]"))


def _wait_shape(page, rows: int, cols: int) -> None:
    page.wait_for_function(
        f'(c => c && c.height === {rows} && c.width === {cols})(document.querySelector("{LARGE} canvas.hs-cells"))',
        timeout=WAIT_MS,
    )
    support.wait_idle(page, WAIT_MS)


def _drag(page, panel: int, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Drag the mouse over cells of the `panel`-th canvas, from cell `start` to cell `end` (row, column)."""
    page.mouse.move(*support.grid_cell_point(page, panel, *start))
    page.mouse.down()
    page.mouse.move(*support.grid_cell_point(page, panel, *end), steps=8)
    page.mouse.up()


def _open_large(page, url: str, layer: int, head: int) -> None:
    page.goto(url)
    support.wait_heatmaps(page, 72, WAIT_MS)
    page.locator(support.HEATMAP).nth(layer * 12 + head).click()
    page.get_by_role("heading", name=f"L{layer}H{head}").wait_for(timeout=WAIT_MS)
    support.wait_heatmaps(page, 73, WAIT_MS)


def test_zoom_into_the_large_head_and_back(page, app_url):
    _open_large(page, f"{app_url}/?all=1", 1, 4)
    assert _large(page) == (10, 10)  # [CLS] the black cat sat on the mat . [SEP]
    reset = page.locator(LARGE).get_by_role("button", name="Reset zoom")
    assert reset.count() == 0
    canvas = page.locator(f"{LARGE} canvas.hs-cells")
    assert "Drag over cells to zoom in" in canvas.get_attribute("aria-label")

    _drag(page, 72, (2, 1), (5, 4))  # rows black..on, columns the..sat
    _wait_shape(page, 4, 4)
    assert support.svg_texts(page, f"{LARGE} .hs-ylabel") == ["black", "cat", "sat", "on"]
    assert support.svg_texts(page, f"{LARGE} .hs-xlabel") == ["the\u00b71", "black", "cat", "sat"]
    page.get_by_text("Zoomed in: rows 2–5, columns 1–4 of 10 tokens.").wait_for(timeout=WAIT_MS)
    assert support.large_head_names(page) == ["L1H4"]
    assert support.hover_grid_cell(page, 72, 1, 2).startswith("L1H4 cat \u2192 cat: ")  # the window's own cells
    assert reset.count() == 1

    page.locator(f"{LARGE} canvas.hs-cells").focus()  # 0 on the focused heatmap: the whole head again
    page.keyboard.press("0")
    _wait_shape(page, 10, 10)
    assert reset.count() == 0 and page.get_by_text("Zoomed in:").count() == 0

    page.locator(f"{LARGE} canvas.hs-cells").focus()  # + zooms into the middle, Reset zoom comes back
    page.keyboard.press("+")
    _wait_shape(page, 5, 5)
    assert support.svg_texts(page, f"{LARGE} .hs-xlabel") == ["black", "cat", "sat", "on", "the\u00b76"]
    reset.click()
    _wait_shape(page, 10, 10)
    assert reset.count() == 0


def test_zoom_brings_the_labels_of_a_long_text_back(page, app_url):
    from headscope import attention, models, panels

    text = " ".join(["The old dog slept near the warm fire."] * 19)  # 152 words
    tokens = panels.token_labels(attention.run(models.load(), text).tokens)
    n = len(tokens)
    assert n > panels.TICKS_UP_TO
    _open_large(page, f"{app_url}/?{urlencode({'text': text, 'all': '1'})}", 2, 0)
    assert _large(page) == (n, n)
    assert (
        page.locator(f"{LARGE} .hs-xlabel, {LARGE} .hs-ylabel").count() == 0
    )  # too many to read: the hover names cells
    assert support.hover_grid_cell(page, 72, 40, 30).startswith(f"L2H0 {tokens[40]} \u2192 {tokens[30]}: ")

    _drag(page, 72, (20, 10), (49, 39))  # 30 x 30 tokens: labels fit again
    _wait_shape(page, 30, 30)
    assert support.svg_texts(page, f"{LARGE} .hs-ylabel") == [
        t[:15] + "\u2026" if len(t) > 16 else t for t in tokens[20:50]
    ]
    assert support.svg_texts(page, f"{LARGE} .hs-xlabel") == [
        t[:15] + "\u2026" if len(t) > 16 else t for t in tokens[10:40]
    ]
    assert support.hover_grid_cell(page, 72, 20, 20).startswith(f"L2H0 {tokens[40]} \u2192 {tokens[30]}: ")
    page.locator(LARGE).get_by_role("button", name="Reset zoom").click()
    _wait_shape(page, n, n)
    assert page.locator(f"{LARGE} .hs-xlabel").count() == 0


# ---- the role grid: a cell is a head -----------------------------------------------------


def test_role_grid_opens_a_head_by_click_and_by_keyboard(page, app_url):
    page.goto(f"{app_url}/overview")
    support.wait_heatmaps(page, 1, WAIT_MS)
    grid = page.get_by_role("button", name=re.compile("^Head roles over this sentence"))
    assert "arrow keys and press Enter" in grid.get_attribute("aria-label")
    support.click_grid_cell(page, 0, 4, 10)
    page.get_by_role("heading", name="L4H10").wait_for(timeout=WAIT_MS)
    support.wait_heatmaps(page, 2, WAIT_MS)
    assert support.large_head_names(page, WAIT_MS, lambda t: t == ["L4H10"]) == ["L4H10"]

    grid.focus()
    page.keyboard.press("ArrowRight")  # the first arrow shows the cursor on L0H0
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowDown", "ArrowDown"):
        page.keyboard.press(key)
    tip = page.locator(support.GRID).first.locator(".hs-tip")  # the role grid's
    assert tip.is_visible() and tip.text_content().strip().startswith("L2H3: "), tip.text_content()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="L2H3").wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    assert support.large_head_names(page, WAIT_MS, lambda t: t == ["L2H3"]) == ["L2H3"]


# ---- the dark theme ----------------------------------------------------------------------


def _luminance(css: str) -> float:
    """Relative luminance (0 black, 1 white) of a CSS rgb()/rgba() colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_dark_theme_light_labels_and_the_colour_bar(browser, dark_url, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")  # the server decides
    page = context.new_page()
    page.goto(dark_url)
    support.wait_heatmaps(page, 12, WAIT_MS)
    background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert _luminance(background) < 0.05, background
    colours = page.evaluate("""() => Object.fromEntries(['.hs-name', '.hs-ylabel', '.hs-xlabel', '.hs-xtitle',
        '.hs-bar-tick'].map(s => [s, getComputedStyle(document.querySelector('.hs-grid ' + s)).color]))""")
    assert all(_luminance(c) > 0.6 for c in colours.values()), colours
    bar = page.locator(".hs-bar canvas")
    assert bar.count() == 1 and bar.bounding_box()["height"] >= 100
    ends = bar.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, 1, c.height).data;
        return [[...d.slice(0, 3)], [...d.slice(d.length - 4, d.length - 1)]]; }""")
    assert ends == [[0xFD, 0xE7, 0x25], [0x44, 0x01, 0x54]]  # Viridis, 1 at the top
    assert support.svg_texts(page, ".hs-grid .hs-bar-tick") == ["0", "0.25", "0.5", "0.75", "1"]
    # the file is for a white page whatever the theme: dark text
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Download SVG").click()
    download.value.save_as(tmp_path / "dark.svg")
    root = ET.parse(tmp_path / "dark.svg").getroot()
    fill = root.get("fill")
    assert _luminance(f"rgb({int(fill[1:3], 16)}, {int(fill[3:5], 16)}, {int(fill[5:7], 16)})") < 0.1, fill
    context.close()
