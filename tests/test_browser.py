"""The app in a real browser: `streamlit run` on loopback, Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest

from tests import support

pytestmark = pytest.mark.browser




def test_type_a_sentence_and_see_twelve_heads(page, app_url, tmp_path):
    support.screenshot_heads(page, app_url, tmp_path / "heads.png")
    assert (tmp_path / "heads.png").stat().st_size > 20_000
    assert "black" in support.x_tick_labels(page)

    support.type_sentence(page, "Dogs chase squirrels.")
    # every head shows the new tokens on its x axis, and the old ones are gone
    page.wait_for_function(
        "[...document.querySelectorAll('.xaxislayer-above text')].filter(t => t.textContent === 'squirrels').length === 12",
        timeout=60_000,
    )
    support.wait_heatmaps(page, 12)
    labels = support.x_tick_labels(page)
    assert "black" not in labels
    assert labels.count("squirrels") == 12
    titles = support.svg_texts(page, ".js-plotly-plot .annotation-text")
    assert titles == [f"L0H{h}" for h in range(12)]
    page.screenshot(path=str(tmp_path / "new-sentence.png"))


def test_all_layers_switch_and_click_opens_a_head(page, app_url, tmp_path):
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    page.get_by_text("All layers at once").click()
    support.wait_heatmaps(page, 72)
    page.screenshot(path=str(tmp_path / "all-layers.png"), full_page=True)

    # click a cell of L3H5: the 3*12+5 = 41st panel's click targets
    target = page.locator(".scatterlayer .trace").nth(3 * 12 + 5).locator(".point").nth(22)
    target.click(force=True)
    page.get_by_role("heading", name="L3H5").wait_for(timeout=60_000)
    support.wait_heatmaps(page, 73)  # the grid and the large head
    assert "L3H5" in support.svg_texts(page, ".js-plotly-plot >> nth=1 >> .annotation-text")
    page.screenshot(path=str(tmp_path / "head-open.png"), full_page=True)


def test_hover_says_from_to_and_weight(page, app_url):
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    # the cell in the middle of the first panel
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
    hover = page.locator(".hoverlayer .hovertext").first
    hover.wait_for(timeout=10_000)
    text = hover.text_content()
    assert "\u2192" in text and "L0H0" in text
    assert any(ch.isdigit() for ch in text.split(":")[-1])


def test_overview_click_a_cell_opens_the_head(page, app_url, tmp_path):
    page.goto(f"{app_url}/overview")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point", timeout=60_000)
    support.wait_idle(page)
    points = page.locator(".js-plotly-plot .scatterlayer .point")
    assert points.count() == 72
    points.nth(1 * 12 + 8).click(force=True)  # L1H8
    page.get_by_role("heading", name="L1H8").wait_for(timeout=60_000)
    support.wait_heatmaps(page, 2)  # the role grid and the head's heatmap
    assert "L1H8" in support.svg_texts(page, ".js-plotly-plot >> nth=1 >> .annotation-text")
    page.screenshot(path=str(tmp_path / "overview-L1H8.png"), full_page=True)


def test_inside_page_shows_the_check(page, app_url):
    page.goto(f"{app_url}/inside")
    page.get_by_text("max |difference|").wait_for(timeout=60_000)
    support.wait_idle(page)
    assert "equal (below 1e-5)" in page.locator("[data-testid='stMetricDelta']").inner_text()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 10", timeout=60_000)
