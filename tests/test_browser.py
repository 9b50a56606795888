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
    assert support.large_head_names(page, ready=lambda t: t == ["L3H5"]) == ["L3H5"]
    assert page.locator("canvas.hs-picked").get_attribute("aria-label").startswith("L3H5")  # kept after the rerun
    page.screenshot(path=str(tmp_path / "head-open.png"), full_page=True)

    # by keyboard: Tab to a head, Enter opens it
    page.locator("canvas.hs-cells").nth(2 * 12 + 1).focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="L2H1").wait_for(timeout=60_000)
    support.wait_idle(page)
    # the heading comes first; the large head's grid is redrawn after it
    assert support.large_head_names(page, ready=lambda t: t == ["L2H1"]) == ["L2H1"]
    # the keyboard moved to the head just opened, in view (issue 29: it stayed on the small panel, off screen)
    page.wait_for_function(
        f"""(e => e && e.closest("{support.LARGE_HEAD}") && e.getAttribute('aria-label').startsWith('L2H1')
             && e.getBoundingClientRect().top < innerHeight)(document.activeElement)""",
        timeout=60_000,
    )


def test_hover_says_from_to_and_the_models_weight(page, app_url):
    from headscope import attention, models

    att = attention.run(models.load(models.BUNDLED_ID), "The black cat sat on the mat.")
    page.goto(f"{app_url}/?layer=0")
    support.wait_heatmaps(page, 12)
    # L0H5, the row of "cat" (token 3), the column of "black" (token 2)
    assert (
        support.hover_grid_cell(page, 5, 3, 2, att.num_tokens)
        == f"L0H5 cat \u2192 black: weight {att.weights[0, 5, 3, 2]:.3f}"
    )
    assert (
        support.hover_grid_cell(page, 0, 0, 9, att.num_tokens)
        == f"L0H0 [CLS] \u2192 [SEP]: weight {att.weights[0, 0, 0, 9]:.3f}"
    )
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
    data = tmp_path / "grid.png"
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
    support.wait_heatmaps(page, 1)  # the role grid: one panel whose cells are the heads
    grid = page.get_by_role("button", name="Head roles over this sentence", exact=False)
    assert grid.evaluate("c => [c.height, c.width]") == [6, 12]  # a cell per head: 6 layers x 12 heads
    from headscope import roles

    shorts = support.wait_texts(page, ".hs-grid .hs-celltext", bool, "the role grid's short role names")
    assert len(shorts) <= 72 and set(shorts) <= {r.short for r in roles.ROLE_TABLE if r.short}, shorts  # "other": blank
    assert support.hover_grid_cell(page, 0, 1, 8).strip().startswith("L1H8: ")
    support.click_grid_cell(page, 0, 1, 8)  # L1H8
    page.get_by_role("heading", name="L1H8").wait_for(timeout=60_000)
    support.wait_heatmaps(page, 2)  # the role grid and the head's heatmap
    assert support.large_head_names(page, ready=lambda t: t == ["L1H8"]) == ["L1H8"]
    page.screenshot(path=str(tmp_path / "overview-L1H8.png"), full_page=True)


def test_inside_page_shows_the_check(page, app_url):
    roots = support.deltas_by_container(page)
    page.goto(f"{app_url}/inside")
    check = page.get_by_text("Check: these steps, recomputed here, give the same weights", exact=False)
    check.wait_for(timeout=60_000)
    support.wait_idle(page)
    assert "for L0H0 (they differ by at most" in check.inner_text()
    page.wait_for_function("document.querySelectorAll('.hs-grid').length >= 11", timeout=60_000)  # every step's matrix
    support.wait_idle(page)
    # another query token reruns its own fragment only: no sidebar, no other figure
    roots.clear()
    box = page.get_by_role("combobox", name="Query token")  # a react-aria combobox: opens on ArrowDown
    box.focus()
    box.press("ArrowDown")
    page.get_by_role("option", name="cat", exact=True).click()
    page.wait_for_function(
        "[...document.querySelectorAll('.gtitle')].some(t => t.textContent.startsWith('cat: its score'))",
        timeout=30_000,
    )
    support.wait_idle(page)
    assert roots and 1 not in roots
