"""The bar charts in Chromium: plotly.js basic in our own component (components/plotly_chart.py).

Inside a head and Attention rollout draw their bars with it, never with Streamlit's plotly element
(whose chunk is the whole of plotly.js); the chart follows the light and dark themes and its column's
width, its camera button saves a file for a white page, and a token's markup stays text.
"""

from __future__ import annotations

import io
import re

import pytest

from bench.browser import figures_now
from bench.replicas import stack
from tests import support
from tests.browser_fixtures import watched_page
from tests.test_deploy import with_nginx
from tests.test_security import CSP_WATCH

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
CHART = ".hs-plot[data-drawn]"

READ_CHART = """root => {
  const rgb = (c) => (c.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
  const tick = root.querySelector('.xtick text');
  return {
    plotly: root.classList.contains('js-plotly-plot') && !!root._fullLayout && !!root.querySelector('.main-svg'),
    legend: [...root.querySelectorAll('.legendtext')].map(t => t.textContent),
    ticks: [...root.querySelectorAll('.xtick text')].map(t => t.textContent),
    title: (root.querySelector('.gtitle') || {}).textContent,
    bold: root.querySelectorAll('tspan[style*="bold"], tspan[style*="italic"]').length,
    links: root.querySelectorAll('.main-svg a').length,
    tick: rgb(getComputedStyle(tick).fill),
    paper: root.querySelector('.main-svg').style.background,
    width: root.getBoundingClientRect().width,
    svgWidth: root.querySelector('.main-svg').getBoundingClientRect().width,
    column: root.parentElement.getBoundingClientRect().width,
  };
}"""
"""What a person sees of a chart: plotly drew it, its legend, x tick labels and title as text, colours, width."""

RESOURCES = "() => performance.getEntriesByType('resource').map(e => e.name)"


def _chart(page) -> dict:
    page.locator(f"{CHART} .main-svg").first.wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    return page.locator(CHART).first.evaluate(READ_CHART)


def _only_plotly_basic(page) -> None:
    """plotly.js basic was fetched, once; Streamlit's plotly chunk (the whole of plotly.js) never."""
    fetched = page.evaluate(RESOURCES)
    assert not [u for u in fetched if re.search(r"/PlotlyChart\.[^/]*\.js", u)], fetched
    assert len([u for u in fetched if u.endswith("/app/static/vendor/plotly-basic.min.js")]) == 1, fetched


def _brightness(rgb: list[float]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


TOKENS = ["[CLS]", "the\u00b71", "black", "cat", "sat", "on", "the\u00b76", "mat", ".", "[SEP]"]


@pytest.mark.parametrize(
    "path, series, title",
    [
        ("inside", ["q\u00b7k / sqrt(d_k)", "softmax weight"], "[CLS]: its score and weight for every key"),
        ("rollout", ["rollout after layer 5", "layer 5 alone (mean of heads)"], "What feeds black at layer 5"),
    ],
)
def test_the_bars_are_drawn_by_plotly_js_basic_in_our_component(page, app_url, path, series, title):
    page.goto(f"{app_url}/{path}")
    chart = _chart(page)
    assert chart["plotly"], chart
    assert chart["legend"] == series and chart["ticks"] == TOKENS and chart["title"] == title, chart
    assert chart["paper"] == "rgba(0, 0, 0, 0)" and _brightness(chart["tick"]) < 128, chart  # light page
    _only_plotly_basic(page)
    assert page.locator("[data-testid=stPlotlyChart]").count() == 0
    seen = figures_now(page)  # what bench/browser.py counts as a drawn plotly chart
    assert seen["plots"] == seen["plots_drawn"] == 1, seen
    # the chart fills its column and follows it when the window narrows
    assert abs(chart["svgWidth"] - chart["column"]) <= 2, chart
    page.set_viewport_size({"width": 900, "height": 1000})
    page.wait_for_function(
        f"(() => {{ const r = document.querySelector('{CHART}'); const s = r.querySelector('.main-svg');"
        f" return s.getBoundingClientRect().width < {chart['svgWidth'] - 100}"
        f" && Math.abs(s.getBoundingClientRect().width - r.parentElement.getBoundingClientRect().width) <= 2; }})()",
        timeout=60_000,
    )


def test_the_bars_redraw_in_place_and_are_freed_when_the_page_goes(page, app_url):
    page.goto(f"{app_url}/rollout")
    assert _chart(page)["title"] == "What feeds black at layer 5"
    page.evaluate(f"window.hsHeld = document.querySelector('{CHART}')")  # the element plotly drew into
    page.get_by_role("combobox", name="Which input tokens feed this token?").click()
    page.get_by_role("option", name="cat", exact=True).click()
    page.wait_for_function(
        f"(document.querySelector('{CHART} .gtitle') || {{}}).textContent === 'What feeds cat at layer 5'",
        timeout=WAIT_MS,
    )
    assert page.evaluate(f"document.querySelector('{CHART}') === window.hsHeld")  # Plotly.react, same element
    page.get_by_role("link", name="Heads", exact=True).click()  # another page: the chart is taken off
    support.wait_heatmaps(page, 12, WAIT_MS)
    # plotly's state on it is freed (Plotly.purge), not left to the element's last reference
    page.wait_for_function("!window.hsHeld.isConnected && !window.hsHeld._fullLayout", timeout=60_000)


def test_the_bars_follow_the_dark_theme_and_download_for_a_white_page(browser, dark_url):
    from PIL import Image

    with watched_page(browser, 1400, 1000) as page:
        page.goto(f"{dark_url}/rollout")
        chart = _chart(page)
        background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
        assert _brightness([float(v) for v in re.findall(r"\d+", background)[:3]]) < 128, background  # a dark page
        assert chart["plotly"] and chart["ticks"] == TOKENS and chart["legend"][0] == "rollout after layer 5", chart
        assert chart["paper"] == "rgba(0, 0, 0, 0)" and _brightness(chart["tick"]) > 128, chart  # light text
        _only_plotly_basic(page)
        # hover on a bar: a label naming the series and the token
        page.locator(CHART).scroll_into_view_if_needed()
        bar = page.locator(f"{CHART} .point path").first.bounding_box()
        page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
        hover = page.locator(f"{CHART} .hoverlayer .hovertext")
        hover.first.wait_for(timeout=30_000)
        assert "rollout after layer 5" in hover.first.text_content() and "[CLS]" in hover.first.text_content()
        # the camera button (PNG, the sidebar's default) saves the chart for a white page
        page.locator(CHART).hover()
        with page.expect_download(timeout=60_000) as download:
            page.locator(f"{CHART} [data-title='Download plot as a PNG']").click()
        assert download.value.suggested_filename == "headscope_all-MiniLM-L6-v2_rollout-layer5-token2.png"
        image = Image.open(io.BytesIO(open(download.value.path(), "rb").read())).convert("RGB")
        assert image.getpixel((2, 2)) == (255, 255, 255) and image.width >= 2 * chart["svgWidth"] - 4
        edge = [image.getpixel((x, y)) for x in range(12) for y in range(image.height)]
        assert set(edge) == {(255, 255, 255)}, "the file's left edge is blank (the title stands off it)"


MARKUP_PAGE = """
import numpy as np

from components import plotly_chart
from headscope.figures import axis_labels, bars_figure

labels = ["<b>x</b>", "a&lt;b", "<a href='https://example.com'>link</a>"]
for key in ("first", "second"):  # two charts on a page: plotly.js is loaded once
    plotly_chart.show(bars_figure(labels, {"weight": np.array([0.2, 0.5, 0.3])}, axis_labels(labels)[0]), key=key)
"""


@pytest.fixture(scope="module")
def markup_url(tmp_path_factory):
    """A page of two bar charts over tokens that look like markup (a script beside a link to the app's static/)."""
    folder = tmp_path_factory.mktemp("markup-page")
    (folder / "static").symlink_to(support.ROOT / "static")  # what the app serves, next to the script
    (folder / "markup_page.py").write_text(MARKUP_PAGE)
    with support.streamlit_server(log_path=folder / "streamlit.log", script=folder / "markup_page.py") as url:
        yield url


def test_a_token_that_looks_like_markup_is_shown_as_typed(page, markup_url):
    page.goto(markup_url)
    page.locator(f"{CHART} .main-svg").nth(1).wait_for(timeout=WAIT_MS)
    chart = _chart(page)
    assert chart["ticks"] == ["<b>x</b>", "a&lt;b", "<a href='https://example.com'>link</a>"], chart
    assert chart["title"] == "<b>x</b>" and chart["bold"] == 0 and chart["links"] == 0, chart
    assert page.locator("script[src$='/app/static/vendor/plotly-basic.min.js']").count() == 1
    _only_plotly_basic(page)


@with_nginx
def test_the_bars_draw_under_the_deployed_csp(browser, tmp_path):
    """deploy/'s CSP (scripts from the app, no eval): plotly.js basic runs, draws and downloads, with no violation."""
    with stack(replicas=1, run_dir=tmp_path / "run") as running:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "CSP violation" in m.text else None)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        try:
            page.goto(f"{running.url}/rollout")
            # locators only: page.wait_for_function evaluates a string, which this CSP refuses
            page.locator(f"{CHART} .main-svg").first.wait_for(timeout=WAIT_MS)
            page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=WAIT_MS)
            chart = page.locator(CHART).first.evaluate(READ_CHART)
            assert chart["plotly"] and chart["ticks"] == TOKENS, chart
            page.locator(CHART).hover()
            with page.expect_download(timeout=60_000) as download:
                page.locator(f"{CHART} [data-title='Download plot as a PNG']").click()
            assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            page.wait_for_timeout(1000)  # a late violation report still arrives
            assert problems == []
        finally:
            context.close()
