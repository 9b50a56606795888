"""Shared links and downloads in Chromium: the link restores the view; files arrive with the right contents."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import numpy as np
import pytest

from tests import support

pytestmark = pytest.mark.browser


def test_a_shared_link_restores_the_view(page, app_url, tmp_path):
    query = urlencode({"text": "Tokenization is unbelievably straightforward.", "layer": "3", "words": "1"})
    page.goto(f"{app_url}/?{query}")
    page.wait_for_function(
        "[...document.querySelectorAll('.hs-name')].some(t => t.textContent === 'L3H0')", timeout=90_000
    )
    support.wait_heatmaps(page, 12)
    assert "unbelievably" in support.x_tick_labels(page)
    assert page.get_by_role("textbox", name="Sentence").input_value() == "Tokenization is unbelievably straightforward."
    page.screenshot(path=str(tmp_path / "shared.png"))
    # the address bar follows the view: move to layer 4 and the URL says so
    page.keyboard.press("Escape")
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("location.search.includes('layer=4')", timeout=30_000)


def test_the_layer_slider_reruns_only_its_fragment(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    roots = support.deltas_by_container(page)  # before goto: the page's one websocket is watched
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    support.wait_idle(page)
    assert 1 in roots  # the first run draws the sidebar
    roots.clear()
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(
        "[...document.querySelectorAll('.hs-name')].some(t => t.textContent === 'L3H0')", timeout=30_000
    )
    support.wait_idle(page)
    assert roots and 1 not in roots  # the slider's rerun sent the main area only: no sidebar, no model run
    page.wait_for_function("location.search.includes('layer=3')", timeout=10_000)
    # with the share box open, its link follows the slider too
    page.get_by_text("Share this view").click()
    page.locator("[data-testid=stCode]").wait_for(timeout=30_000)
    assert "layer=3" in page.locator("[data-testid=stCode]").inner_text()
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=stCode]')].some(c => c.innerText.includes('layer=4'))",
        timeout=30_000,
    )
    page.close()


def test_a_bad_link_falls_back_with_a_notice(page, app_url):
    page.goto(f"{app_url}/?layer=99&words=maybe")
    page.get_by_text(re.compile("Layer 99 does not exist")).wait_for(timeout=90_000)
    page.get_by_text(re.compile("Ignored words='maybe'")).wait_for(timeout=10_000)
    support.wait_heatmaps(page, 12)
    assert "L0H0" in support.svg_texts(page, support.GRID_TITLES)


def _download(page, trigger) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        trigger()
    return open(info.value.path(), "rb").read(), info.value.suggested_filename


def test_downloads_png_svg_and_npz(page, app_url):
    # a head opened from the all-layers grid has the grid's own PNG and SVG buttons
    page.goto(f"{app_url}/?all=1")
    support.wait_heatmaps(page, 72)
    page.locator("canvas.hs-cells").first.click()
    support.wait_heatmaps(page, 73)
    large = page.locator(support.LARGE_HEAD)
    data, name = _download(page, large.get_by_role("button", name="Download PNG").click)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and name == "headscope_all-MiniLM-L6-v2_L0H0.png"
    data, name = _download(page, large.get_by_role("button", name="Download SVG").click)
    text = data.decode()
    assert name == "headscope_all-MiniLM-L6-v2_L0H0.svg" and text.lstrip().startswith("<svg") and "L0H0" in text

    support.wait_idle(page)
    button = page.get_by_role("button", name=re.compile("Attention as .npz"))
    button.scroll_into_view_if_needed()
    data, name = _download(page, button.click)
    arrays = np.load(io.BytesIO(data))
    assert arrays["attention"].shape == (6, 12, 10, 10) and list(arrays["tokens"])[:3] == ["[CLS]", "the", "black"]
    np.testing.assert_allclose(arrays["attention"].sum(-1), 1.0, atol=1e-5)

    # plotly figures (bars): their camera button follows the sidebar's choice
    page.get_by_role("link", name="Attention rollout").click()
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=90_000)
    support.wait_idle(page)
    chart.hover()
    data, name = _download(page, lambda: chart.locator("[data-title='Download plot as a PNG']").click())
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and name == "headscope_all-MiniLM-L6-v2_rollout-layer5-token2.png"

    page.get_by_text("SVG (vector, for papers)").click()
    support.wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    data, name = _download(page, lambda: chart.locator("[data-title='Download plot']").click())
    text = data.decode()
    assert name.endswith(".svg") and text.lstrip().startswith("<svg") and "What feeds" in text


def _loopback_only(context) -> list[str]:
    """Abort every request that leaves this machine; return the list of what was blocked."""
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if url.startswith(("data:", "about:", "blob:")) or host in ("127.0.0.1", "localhost"):
            return r.continue_()
        blocked.append(url)
        return r.abort()

    context.route("**/*", route)
    return blocked


@pytest.mark.parametrize("view", ["head", "model"])
def test_bertviz_draws_with_the_network_blocked(browser, app_url, view, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    blocked = _loopback_only(context)
    page = context.new_page()
    page.goto(f"{app_url}/bertviz?bview={view}")
    frame = page.frame_locator("iframe").first
    if view == "head":
        texts = support.wait_texts(frame, "svg text", lambda t: t.count("[CLS]") == 2, "both sides of the head view")
        assert texts.count("[CLS]") == 2 and "black" in texts
    else:
        texts = support.wait_texts(frame, "svg text", lambda t: "Heads" in t and "Layers" in t, "the model view")
        assert "Heads" in texts and "Layers" in texts
        lines = support.wait_texts(frame, "svg line", lambda t: len(t) >= 72 * 10, "a thumbnail of lines per head")
        assert len(lines) >= 72 * 10
    page.screenshot(path=str(tmp_path / f"bertviz-{view}.png"))
    context.close()
    assert blocked == []  # and nothing even tried to leave


def test_presentation_mode_with_the_keyboard(page, app_url):
    page.goto(f"{app_url}/present?present=head&player=1&phead=7")
    page.get_by_role("heading", name="L1H7").wait_for(timeout=90_000)
    support.wait_heatmaps(page, 1)
    assert page.evaluate("document.querySelector('[data-testid=stSidebar]').getAttribute('aria-expanded')") != "true"
    page.keyboard.press("ArrowRight")
    page.get_by_role("heading", name="L1H8").wait_for(timeout=90_000)
    page.keyboard.press("ArrowLeft")
    page.get_by_role("heading", name="L1H7").wait_for(timeout=30_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark_keep_the_colour_scale(browser, app_url, scheme):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    background = page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    r, g, b = (int(v) for v in re.findall(r"\d+", background)[:3])
    assert (r + g + b < 150) == (scheme == "dark")
    bar = page.evaluate("""() => { const c = document.querySelector('.hs-bar canvas');
        const d = c.getContext('2d').getImageData(0, 0, 1, c.height).data;
        return [[...d.slice(0, 3)], [...d.slice(d.length - 4, d.length - 1)]]; }""")
    assert bar == [[0xFD, 0xE7, 0x25], [0x44, 0x01, 0x54]]  # Viridis (top: 1, bottom: 0), whatever the theme
    label = page.evaluate("getComputedStyle(document.querySelector('.hs-xlabel')).color")
    lr, lg, lb = (int(v) for v in re.findall(r"\d+", label)[:3])
    assert abs((lr + lg + lb) - (r + g + b)) > 300  # tick labels contrast with the background
    context.close()
