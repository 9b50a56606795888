"""The Switch heads off page in Chromium: pick a head, see both grids, the change and the output."""

from __future__ import annotations

import re

import pytest

from tests import support

pytestmark = pytest.mark.browser


def test_pick_a_head_and_see_what_changes(page, app_url, tmp_path):
    page.goto(f"{app_url}/knockout")
    page.get_by_role("heading", name="Switch heads off").wait_for(timeout=90_000)
    page.get_by_text("Pick one or more heads", exact=False).wait_for(timeout=90_000)
    support.wait_idle(page)

    picker = page.get_by_role("combobox", name="Heads to switch off")
    picker.click()
    page.keyboard.type("L2H8")
    page.get_by_role("option", name="L2H8", exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_text("Cosine between the sentence embeddings", exact=False).wait_for(timeout=90_000)
    support.wait_idle(page)

    # the layer's heads three times (intact, switched off, their difference), the change and importance grids
    page.wait_for_function("document.querySelectorAll('canvas.hs-cells').length >= 38", timeout=90_000)
    # every matrix in the one renderer; plotly draws only the tokens' change, as bars
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=90_000)
    kinds = page.locator(".js-plotly-plot").evaluate_all("els => els.flatMap(e => e.data.map(t => t.type))")
    assert kinds == ["bar"]
    # the layer's grids open on layer 3, the first whose attention changes without L2H8
    assert page.locator(".hs-panel[data-name=L3H0] canvas").first.get_attribute("aria-label").startswith("L3H0")
    assert page.get_by_text(re.compile(r"^Switched off minus intact, layer 3")).count() == 1
    assert page.get_by_text(re.compile(r"^Switched off: L2H8")).count() == 1
    cosine = page.get_by_test_id("stMetricValue").first.inner_text()
    assert 0.9 < float(cosine) < 1
    assert page.get_by_text("Switched off minus intact", exact=False).count() >= 1
    caveats = page.get_by_text("What this does not show.", exact=False)
    caveats.wait_for(timeout=90_000)  # further down the page: drawn after the grids on a busy machine
    assert caveats.count() == 1
    page.screenshot(path=str(tmp_path / "knockout.png"), full_page=True)
