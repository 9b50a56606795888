"""Heavy work in Chromium (issue 28): two users ask for every head's importance on long texts at once; the second
waits in line with its place shown, each can cancel, and the page's knockout is drawn meanwhile."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from bench.heavy import ASK, long_text
from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser


def _open(page, url: str, text: str) -> None:
    """The Switch heads off page by its link, on this text with L2H8 switched off, drawn."""
    page.goto(f"{url}/knockout?{urlencode({'text': text, 'kheads': 'L2H8'})}")
    page.get_by_text("Cosine between the sentence embeddings", exact=False).wait_for(timeout=90_000)
    page.get_by_role("button", name=ASK).wait_for(timeout=90_000)


def test_a_second_users_job_waits_in_line_and_both_can_cancel(browser, app_url):
    with watched_page(browser, 1400, 1000) as first, watched_page(browser, 1400, 1000) as second:
        _open(first, app_url, long_text(prefix="First user."))
        _open(second, app_url, long_text(prefix="Second user."))
        first.get_by_role("button", name=ASK).click()
        first.get_by_text("of 72 heads", exact=False).first.wait_for(timeout=90_000)  # its progress bar
        assert first.get_by_test_id("stProgress").count() == 1
        second.get_by_role("button", name=ASK).click()
        second.get_by_text("waiting: 2nd in line", exact=False).wait_for(timeout=90_000)
        # the second user cancels while waiting; the first one's job goes on
        second.get_by_role("button", name="Cancel").click()
        second.get_by_text("Cancelled.", exact=True).wait_for(timeout=90_000)
        second.get_by_role("button", name=ASK).wait_for(timeout=90_000)
        assert second.get_by_test_id("stProgress").count() == 0
        assert first.get_by_test_id("stProgress").count() == 1
        first.get_by_role("button", name="Cancel").click()
        first.get_by_text("Cancelled.", exact=True).wait_for(timeout=90_000)
        first.get_by_role("button", name=ASK).wait_for(timeout=90_000)
        support.wait_idle(first)
        assert first.get_by_test_id("stProgress").count() == 0
        assert first.locator(".hs-panel[data-name='this sentence']").count() == 0  # cancelled: no grid
