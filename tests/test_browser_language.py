"""Text that is not English, as a person sees it in Chromium: the notice, the heatmaps, no answer."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from tests import support
from tests.test_language import FOREIGN

pytestmark = pytest.mark.browser

NAMES = {"de": "German", "fr": "French", "ja": "Japanese"}


def test_german_french_and_japanese_get_the_notice_and_their_heatmaps(page, app_url):
    page.goto(app_url)
    support.wait_heatmaps(page, 12)
    for code in ("de", "fr", "ja"):
        support.type_sentence(page, FOREIGN[code])
        notice = page.get_by_text(f"This text looks like {NAMES[code]}, and the parser reads English only", exact=False)
        notice.wait_for(timeout=90_000)
        support.wait_heatmaps(page, 12)
        assert notice.is_visible() and "Type an English sentence to see those." in notice.inner_text()
        body = page.locator("[data-testid=stMain]").inner_text()
        assert "over 3,827 sentences" not in body  # no answer line
        page.locator(".hs-arc").first.wait_for(state="detached", timeout=60_000)  # the outlined arcs go (a rerun
        support.wait_heatmaps(page, 12)  # redraws the grid after the notice) and the heads stay drawn
        assert not page.locator("[data-testid=stAlertContentError]").count()
    # the Syntax heads page, opened from a link: the notice, every head's attention, no arc diagram
    page.goto(f"{app_url}/syntax?{urlencode({'text': FOREIGN['ja']}, quote_via=quote)}")
    page.get_by_text("every head's attention, layer by layer", exact=False).wait_for(timeout=90_000)
    support.wait_heatmaps(page, 12)
    assert page.get_by_text("This text looks like Japanese", exact=False).is_visible()
    assert not page.locator(".hs-arcs").count()
