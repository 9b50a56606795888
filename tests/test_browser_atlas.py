"""The Head atlas table in Chromium: every column shows whole at a projector's 1024x768 and at 1440x900."""

from __future__ import annotations

import pytest

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # the bundled atlas may be computed first (about 30 s), on a shared machine

HIDDEN_SIDEWAYS = """table => [...table.querySelectorAll('*')].filter(e => {
    const style = getComputedStyle(e);
    return ['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1;
}).map(e => [e.scrollWidth, e.clientWidth])"""
"""What a table holds beyond its right edge: any part of it that scrolls sideways (content width, shown width)."""


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)])
def test_every_column_of_the_atlas_table_shows(browser, app_url, size, tmp_path):
    with watched_page(browser, *size) as page:
        page.goto(f"{app_url}/atlas")
        table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="verdict"))
        table.wait_for(timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        assert table.evaluate(HIDDEN_SIDEWAYS) == []
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth + 1")
        headers = table.get_by_role("columnheader").all_inner_texts()
        assert headers == ["relation", "arcs", "verdict", "followed by", "best head", "baseline"]
        box = table.bounding_box()
        assert box["x"] + box["width"] <= size[0]
        assert "nsubj" in table.get_by_role("row").nth(1).inner_text()  # the usual relations first
        page.screenshot(path=str(tmp_path / f"atlas-{size[0]}.png"))
