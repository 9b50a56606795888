"""Compare in Chromium on a projector (1024x768) and a laptop (1440x900): every ranking column in view;
texts of other lengths drawn over the words they share."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import expect

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
COLUMNS = [
    "head",
    "direction",
    "mean weight",
    "arcs found",
    "beats baseline",
    "follows (corpus)",
]  # positional: always empty here


def _ranking_headers(page, width: int) -> list[list[str]]:
    """Per ranking table (components/tables.py: an HTML table), the names of its columns whose header is
    wholly inside the window's width."""
    tables = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="beats baseline"))
    expect(tables).to_have_count(2, timeout=WAIT_MS)  # A's and B's: B's may come a moment after A's
    out = []
    for i in range(tables.count()):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        out.append(
            [
                header.inner_text()
                for header in table.get_by_role("columnheader").all()
                if (box := header.bounding_box()) and box["x"] >= 0 and box["x"] + box["width"] <= width
            ]
        )
    return out


@pytest.mark.parametrize("width, height", [(1024, 768), (1440, 900)])
def test_every_column_of_the_ranking_tables_is_in_view(browser, app_url, width, height):
    with watched_page(browser, width, height) as page:
        page.goto(f"{app_url}/compare")
        support.wait_idle(page, WAIT_MS)
        page.get_by_role("tab", name="Head ranking").click()  # as a user opens it: the rankings run and draw now
        page.wait_for_url("**ctab=Head+ranking**", timeout=WAIT_MS)  # the open tab is in the link
        tables = _ranking_headers(page, width)
        assert tables == [COLUMNS, COLUMNS], (width, tables)  # A's and B's, every column in view


def test_texts_of_other_lengths_are_drawn_over_the_words_they_share(browser, app_url):
    query = urlencode({"text": "The cat sat.", "ctext": "The cats that the dog chased sat."}, quote_via=quote)
    with watched_page(browser, 1024, 768) as page:
        page.goto(f"{app_url}/compare?{query}")
        # A and B (12 heads each), both among the shared words and their difference (the tab open first)
        support.wait_heatmaps(page, 5 * 12, WAIT_MS)
        text = page.locator("[data-testid=stMain]").inner_text()
        assert "Not drawn" not in text and "Compared: the attention among the 5 words both have" in text
        labels = support.grid_labels(page, f"{support.GRID} >> nth=4")  # A minus B over the shared words
        assert "The/The\u00b71" in labels and "sat" in labels
