"""The app in a real browser: `streamlit run` on loopback, Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest

from tests import support

pytestmark = pytest.mark.browser


def test_type_a_sentence_and_see_twelve_heads(page, app_url, tmp_path):
    support.screenshot_heads(page, app_url, tmp_path / "heads.png")
    assert (tmp_path / "heads.png").stat().st_size > 20_000
    assert "black" in support.x_tick_labels(page)
    assert page.locator(".js-plotly-plot").count() == 0  # the grid is drawn without plotly

    support.type_sentence(page, "Dogs chase squirrels.")
    # every head shows the new tokens on its x axis, and the old ones are gone
    support.wait_x_label(page, "squirrels", 12, 60_000)
    support.wait_heatmaps(page, 12)
    labels = support.x_tick_labels(page)
    assert "black" not in labels
    assert labels.count("squirrels") == 12
    assert support.svg_texts(page, support.GRID_TITLES) == [f"L2H{h}" for h in range(12)]  # the nsubj answer's layer
    page.screenshot(path=str(tmp_path / "new-sentence.png"))


def test_all_layers_switch_and_click_opens_a_head(page, app_url, tmp_path):
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    page.get_by_text("All layers at once").click()
    support.wait_heatmaps(page, 72)
    page.screenshot(path=str(tmp_path / "all-layers.png"), full_page=True)

    page.locator("canvas.hs-cells").nth(3 * 12 + 5).click(position={"x": 30, "y": 20})  # L3H5
    page.get_by_role("heading", name="L3H5").wait_for(timeout=60_000)
    support.wait_heatmaps(page, 73)  # the grid and the large head
    assert "L3H5" in support.wait_texts(page, ".js-plotly-plot .annotation-text", lambda t: "L3H5" in t,
                                        "the large head's title L3H5")
    assert page.locator("canvas.hs-picked").get_attribute("aria-label").startswith("L3H5")  # kept after the rerun
    page.screenshot(path=str(tmp_path / "head-open.png"), full_page=True)

    # by keyboard: Tab to a head, Enter opens it
    page.locator("canvas.hs-cells").nth(2 * 12 + 1).focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="L2H1").wait_for(timeout=60_000)
    support.wait_idle(page)
    # the heading comes first; the large head's chart is redrawn after it
    assert "L2H1" in support.wait_texts(page, ".js-plotly-plot .annotation-text", lambda t: "L2H1" in t,
                                        "the large head's title L2H1")
    # the grid was redrawn (its outline moved) and the keyboard is still on the same head
    page.wait_for_function("document.activeElement.getAttribute('aria-label')?.startsWith('L2H1')", timeout=10_000)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("L2H2")


def test_hover_says_from_to_and_the_models_weight(page, app_url):
    from headscope import attention, models

    att = attention.run(models.load(models.BUNDLED_ID), "The black cat sat on the mat.")
    page.goto(f"{app_url}/?layer=0")
    support.wait_heatmaps(page, 12)
    # L0H5, the row of "cat" (token 3), the column of "black" (token 2)
    assert support.hover_grid_cell(page, 5, 3, 2, att.num_tokens) == f"L0H5 cat \u2192 black: {att.weights[0, 5, 3, 2]:.3f}"
    assert support.hover_grid_cell(page, 0, 0, 9, att.num_tokens) == f"L0H0 [CLS] \u2192 [SEP]: {att.weights[0, 0, 0, 9]:.3f}"
    page.mouse.move(5, 5)
    page.locator(".hs-tip").wait_for(state="hidden", timeout=10_000)


def test_grid_downloads_png_and_svg(page, app_url, tmp_path):
    import struct
    import xml.etree.ElementTree as ET

    page.goto(f"{app_url}/?layer=0")
    support.wait_heatmaps(page, 12)
    with page.expect_download() as png:
        page.get_by_role("button", name="Download PNG").click()
    with page.expect_download() as svg:
        page.get_by_role("button", name="Download SVG").click()
    assert png.value.suggested_filename == "headscope_all-MiniLM-L6-v2_layer0.png"
    data = (tmp_path / "grid.png")
    png.value.save_as(data)
    head = data.read_bytes()
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    svg_path = tmp_path / "grid.svg"
    svg.value.save_as(svg_path)
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert (width, height) == (2 * int(root.get("width")), 2 * int(root.get("height")))
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert [t for t in texts if t.startswith("L0H")] == [f"L0H{h}" for h in range(12)]
    assert texts.count("black") == 24 and "attends from" in texts and "attends to" in texts  # rows and columns
    assert len(list(root.iter(f"{ns}image"))) == 13  # 12 heads and the colour bar


def test_grid_labels_of_long_words_and_control_characters(page, app_url, tmp_path):
    import xml.etree.ElementTree as ET
    from urllib.parse import urlencode

    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    page.goto(f"{app_url}/?{urlencode({'text': f'A {word} ab' + chr(1) + 'cd here.', 'words': '1'})}")
    support.wait_heatmaps(page, 12)
    labels = support.x_tick_labels(page)
    assert word[:15] + "\u2026" in labels and "ab\ufffdcd" in labels and max(map(len, labels)) == 16
    # no label reaches into the next row of panels
    lowest, next_row = page.evaluate("""() => {
        const top = (e) => e.getBoundingClientRect().top;
        const panels = [...document.querySelectorAll('canvas.hs-cells')];
        const first = panels.filter(c => top(c) === top(panels[0]));
        const below = panels.find(c => top(c) > top(panels[0]));
        const labels = first.flatMap(c => [...c.closest('.hs-panel').querySelectorAll('.hs-xlabel')]);
        return [Math.max(...labels.map(e => e.getBoundingClientRect().bottom)), top(below)]; }""")
    assert lowest < next_row
    with page.expect_download() as svg:
        page.get_by_role("button", name="Download SVG").click()
    svg.value.save_as(tmp_path / "grid.svg")
    texts = [t.text for t in ET.parse(tmp_path / "grid.svg").getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert word[:15] + "\u2026" in texts
    with page.expect_download(timeout=30_000) as png:
        page.get_by_role("button", name="Download PNG").click()
    assert png.value.suggested_filename.endswith(".png")


def test_overview_click_a_cell_opens_the_head(page, app_url, tmp_path):
    page.goto(f"{app_url}/overview")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .point", timeout=60_000)
    support.wait_idle(page)
    points = page.locator(".js-plotly-plot .scatterlayer .point")
    assert len(support.wait_texts(page, ".js-plotly-plot .scatterlayer .point", lambda t: len(t) >= 72,
                                  "the role grid's 72 heads")) == 72
    points.nth(1 * 12 + 8).click(force=True)  # L1H8
    page.get_by_role("heading", name="L1H8").wait_for(timeout=60_000)
    support.wait_heatmaps(page, 2)  # the role grid and the head's heatmap
    assert "L1H8" in support.wait_texts(page, ".js-plotly-plot >> nth=1 >> .annotation-text", lambda t: "L1H8" in t,
                                        "the opened head's title L1H8")
    page.screenshot(path=str(tmp_path / "overview-L1H8.png"), full_page=True)


def test_inside_page_shows_the_check(page, app_url):
    roots = support.deltas_by_container(page)
    page.goto(f"{app_url}/inside")
    page.get_by_text("max |difference|").wait_for(timeout=60_000)
    support.wait_idle(page)
    assert "equal (below 1e-5)" in page.locator("[data-testid='stMetricDelta']").inner_text()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 10", timeout=60_000)
    support.wait_idle(page)
    # another query token reruns its own fragment only: no sidebar, no other figure
    roots.clear()
    box = page.get_by_role("combobox", name="Query token")  # a react-aria combobox: opens on ArrowDown
    box.focus()
    box.press("ArrowDown")
    page.get_by_role("option", name="cat", exact=True).click()
    page.wait_for_function(
        "[...document.querySelectorAll('.gtitle')].some(t => t.textContent.startsWith('cat: its score'))",
        timeout=30_000)
    support.wait_idle(page)
    assert roots and 1 not in roots
