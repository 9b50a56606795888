"""Compare in Chromium on a projector (1024x768) and a laptop (1440x900): every ranking column in view;
texts of other lengths drawn over the words they share."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

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


def _ranking_headers(page) -> list[tuple[list[str], int]]:
    """Per ranking table: the column headers the data grid draws (its ARIA table), and how many columns it has.

    The grid is a canvas; its ARIA table (the canvas's fallback content, hidden from sight) holds
    only the columns drawn in view, and `aria-colcount` says how many there are in all.
    """
    tables = page.locator("[data-testid=stDataFrame]")
    tables.first.wait_for(timeout=WAIT_MS)
    out = []
    for i in range(tables.count()):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        grid = table.get_by_role("grid", include_hidden=True)
        grid.wait_for(state="attached", timeout=WAIT_MS)
        names = table.get_by_role("columnheader", include_hidden=True).all_text_contents()
        out.append((names, int(grid.get_attribute("aria-colcount"))))
    return out


@pytest.mark.parametrize("width, height", [(1024, 768), (1440, 900)])
def test_every_column_of_the_ranking_tables_is_in_view(browser, app_url, width, height):
    with watched_page(browser, width, height) as page:
        page.goto(f"{app_url}/compare")
        support.wait_idle(page, WAIT_MS)
        tables = _ranking_headers(page)
        assert len(tables) == 2, tables  # A's and B's
        for names, count in tables:
            assert names == COLUMNS and count == len(COLUMNS), (width, names, count)


def test_texts_of_other_lengths_are_drawn_over_the_words_they_share(browser, app_url):
    query = urlencode({"text": "The cat sat.", "ctext": "The cats that the dog chased sat."}, quote_via=quote)
    with watched_page(browser, 1024, 768) as page:
        page.goto(f"{app_url}/compare?{query}")
        # A and B (12 heads each), both among the shared words and their difference, a statistic's A, B, A - B
        support.wait_heatmaps(page, 5 * 12 + 3, WAIT_MS)
        text = page.locator("[data-testid=stMain]").inner_text()
        assert "Not drawn" not in text and "Compared: the attention among the 5 words both have" in text
        labels = support.grid_labels(page, f"{support.GRID} >> nth=4")  # A minus B over the shared words
        assert "The/The\u00b71" in labels and "sat" in labels
