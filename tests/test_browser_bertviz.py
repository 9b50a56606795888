"""The bertviz page in Chromium: readable in the light and the dark theme."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from tests import support
from tests.browser_fixtures import watched_page

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time


def _rgb(css: str) -> tuple[int, int, int]:
    """A CSS rgb()/rgba() colour as three integers."""
    r, g, b = (round(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def _luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance (0 black, 1 white), WCAG's formula."""
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _frame_background(page) -> tuple[int, int, int]:
    """The colour a person sees in the frame where bertviz draws nothing (its top right corner)."""
    box = page.locator("iframe").first.bounding_box()
    png = page.screenshot(clip={"x": box["x"] + box["width"] - 10, "y": box["y"] + 2, "width": 4, "height": 4})
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((2, 2))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("view", ["head", "model"])
def test_bertviz_words_follow_the_theme(browser, app_url, scheme, view, tmp_path):
    with watched_page(browser, 1440, 900) as page:
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{app_url}/bertviz?bview={view}")
        frame = page.frame_locator("iframe").first
        wanted = "[CLS]" if view == "head" else "Heads"
        support.wait_texts(frame, "svg text", lambda t: wanted in t, f"bertviz's {view} view", WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        app = _rgb(page.evaluate("getComputedStyle(document.querySelector('.stApp')).backgroundColor"))
        assert (_luminance(app) < 0.2) == (scheme == "dark"), app
        # the frame lets the app's background through: no white slab in the dark theme
        behind = _frame_background(page)
        assert max(abs(x - y) for x, y in zip(behind, app)) <= 8, (behind, app)
        # every word bertviz draws (tokens, axis titles, numbers) stands out from that background
        fills = frame.locator("svg text").evaluate_all("els => [...new Set(els.map(e => getComputedStyle(e).fill))]")
        assert fills and all(_contrast(_rgb(f), behind) >= 4.5 for f in fills), (fills, behind)
        page.screenshot(path=str(tmp_path / f"bertviz-{view}-{scheme}.png"))


def test_one_layer_control_and_the_address_bar_follows_it(page, app_url):
    page.goto(f"{app_url}/bertviz?bview=head&blayer=2")
    frame = page.frame_locator("iframe").first
    support.wait_texts(frame, "svg text", lambda t: "[CLS]" in t, "bertviz's head view", WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    sliders = page.get_by_role("slider")
    assert sliders.count() == 1 and sliders.first.get_attribute("aria-valuetext") == "2"
    assert sliders.first.get_attribute("aria-label") == "Layer"
    assert frame.get_by_role("combobox").count() == 0  # bertviz's own layer menu is not there
    sliders.first.focus()
    sliders.first.press("ArrowRight")
    page.wait_for_function("location.search.includes('blayer=3')", timeout=WAIT_MS)
    assert _layers_in_frame(frame, [3]) == [3]  # the frame now draws layer 3
    frame.locator("svg text", has_text="[CLS]").first.wait_for(timeout=WAIT_MS)
    assert frame.get_by_role("combobox").count() == 0


def _layers_in_frame(frame, wanted: list[int]) -> list[int]:
    """The layers the frame's page hands bertviz, once they are `wanted` (the frame reloads on a change)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    layers = None
    while time.monotonic() < deadline:
        try:
            layers = json.loads(frame.locator("#bertviz-params").text_content(timeout=5_000))["include_layers"]
        except PlaywrightError:  # the frame was loading its new page
            layers = None
        if layers == wanted:
            break
        time.sleep(0.2)
    return layers
