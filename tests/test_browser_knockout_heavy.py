"""Heavy work in Chromium (issue 28): users ask for every head's importance on long texts at once; a second text
waits in line with its place shown, the same text shares the running job, and each user can cancel."""

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


def _cancel(page) -> None:
    """Cancel this user's importance: the button to ask comes back, with no progress bar and no grid."""
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Cancelled.", exact=True).wait_for(timeout=90_000)
    page.get_by_role("button", name=ASK).wait_for(timeout=90_000)
    support.wait_idle(page)
    assert page.get_by_test_id("stProgress").count() == 0
    assert page.locator(".hs-panel[data-name='this sentence']").count() == 0


def test_jobs_wait_in_line_share_the_same_text_and_cancel(browser, app_url):
    text_a, text_b = long_text(prefix="First text."), long_text(prefix="Second text.")
    with (
        watched_page(browser, 1400, 1000) as first,
        watched_page(browser, 1400, 1000) as second,
        watched_page(browser, 1400, 1000) as third,
    ):
        _open(first, app_url, text_a)
        _open(second, app_url, text_b)
        _open(third, app_url, text_a)
        first.get_by_role("button", name=ASK).click()
        first.get_by_text("of 72 heads", exact=False).first.wait_for(timeout=90_000)  # its progress bar
        second.get_by_role("button", name=ASK).click()
        second.get_by_text("waiting: 2nd in line", exact=False).wait_for(timeout=90_000)
        third.get_by_role("button", name=ASK).click()  # the first user's text: joins the job that runs
        third.get_by_text("of 72 heads", exact=False).first.wait_for(timeout=90_000)
        # shared: it runs while the first user's bar is still there (another job would wait behind two)
        assert first.get_by_test_id("stProgress").count() == 1
        assert third.get_by_text("in line", exact=False).count() == 0
        _cancel(third)  # the first user still waits for it: it goes on
        _cancel(second)  # waiting: it leaves the line
        assert first.get_by_test_id("stProgress").count() == 1
        first.get_by_text("of 72 heads", exact=False).first.wait_for(timeout=90_000)
        _cancel(first)
