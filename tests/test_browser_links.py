"""Links and the sentence box in Chromium: what the address bar and the share box hold, what opens."""

from __future__ import annotations

import re

import pytest

from components import links
from tests import support

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time
CHINESE = ("天地玄黃宇宙洪荒日月盈昃辰宿列張" * 1_000)[:15_001]
"""15,001 characters, under the 20,000 the app reads; 135,009 bytes once URL-encoded."""
TOO_LONG = re.compile("The text is longer than the model accepts")


def _submit(page, text: str) -> None:
    """Paste a text into the sentence box at once (as a paste does) and submit it."""
    box = page.get_by_role("textbox", name="Sentence")
    box.fill(text)
    box.press("Control+Enter")


def test_a_long_text_leaves_the_link_and_the_link_opens(page, browser, app_url):
    page.goto(app_url)
    support.wait_heatmaps(page, 12, WAIT_MS)
    _submit(page, CHINESE)
    page.get_by_text(TOO_LONG).wait_for(timeout=WAIT_MS)  # the model ran on it
    support.wait_idle(page, WAIT_MS)
    assert len(page.evaluate("location.search")) <= links.MAX_QUERY + 1  # with its '?'
    assert len(page.get_by_role("textbox", name="Sentence").input_value()) == 15_001  # the box keeps it all

    page.get_by_text("Share this view").click()
    code = page.locator("[data-testid=stCode]")
    code.wait_for(timeout=WAIT_MS)
    box = page.locator("[data-testid=stSidebar]").inner_text()
    assert "The sentence is too long to travel in a link (15,001 characters)" in box, box
    assert "Send the text separately" in box
    link = code.inner_text().strip()
    assert link.startswith(app_url) and len(link.partition("?")[2]) <= links.MAX_QUERY

    other = browser.new_page(viewport={"width": 1400, "height": 1000})
    response = other.goto(link)
    assert response.status == 200
    support.wait_heatmaps(other, 12, WAIT_MS)
    assert other.get_by_role("textbox", name="Sentence").input_value() == "The black cat sat on the mat."
    assert "black" in support.x_tick_labels(other)
    other.close()


def test_text_over_the_limit_and_emoji_under_it_are_never_dropped_silently(page, app_url):
    page.goto(app_url)
    support.wait_heatmaps(page, 12, WAIT_MS)
    box = page.get_by_role("textbox", name="Sentence")

    # 10,001 emoji: 10,001 characters for the server, 20,002 UTF-16 units for the browser
    emoji = "\U0001f600" * 10_001
    _submit(page, emoji)
    support.wait_x_label(page, "[UNK]", 12, WAIT_MS)  # the model read it (one word the tokenizer does not know)
    support.wait_idle(page, WAIT_MS)
    assert box.input_value() == emoji
    assert "the text is empty" not in page.locator("[data-testid=stMain]").inner_text()
    assert "more than the limit" not in page.locator("[data-testid=stSidebar]").inner_text()

    # 20,001 characters: cut to 20,000, and the sidebar says so
    _submit(page, "Dogs bark. " + "a" * 19_990)
    message = page.get_by_text(re.compile("The text had 20,001 characters, more than the limit of 20,000"))
    message.wait_for(timeout=WAIT_MS)
    support.wait_x_label(page, "dogs", 12, WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    assert box.input_value() == ("Dogs bark. " + "a" * 19_990)[:20_000]
    assert "the text is empty" not in page.locator("[data-testid=stMain]").inner_text()


def test_a_layer_and_head_the_model_lacks_leave_the_address_bar(page, app_url):
    page.goto(f"{app_url}/inside?ilayer=6&ihead=12")
    page.get_by_text("Layer 6 does not exist in this model (0 to 5); showing layer 0.").wait_for(timeout=WAIT_MS)
    page.get_by_text("Head 12 does not exist in this model (0 to 11); showing head 0.").wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    page.wait_for_function("location.search === '?ilayer=0&ihead=0'", timeout=WAIT_MS)
    page.get_by_text(re.compile("L0H0")).first.wait_for(timeout=WAIT_MS)  # the head shown is L0H0


def test_a_link_with_a_text_longer_than_the_app_reads_opens_with_the_notice(page, app_url):
    response = page.goto(f"{app_url}/?text={'x' * 20_001}&layer=3")  # 20 KB: the server takes it
    assert response.status == 200
    page.get_by_text(re.compile(r"Ignored text='x+'… from the link \(longer than 20,000 characters")).wait_for(
        timeout=WAIT_MS
    )
    support.wait_heatmaps(page, 12, WAIT_MS)
    assert page.get_by_role("textbox", name="Sentence").input_value() == "The black cat sat on the mat."
    page.wait_for_function("location.search === '?layer=3'", timeout=WAIT_MS)


@pytest.mark.parametrize(
    ("path", "notice"),
    [
        ("/?head=L99H99&words=1", "Head L99H99 does not exist in this model"),
        ("/bertviz?bview=model&blayer=77", "Layer 77 does not exist in this model"),
    ],
)
def test_a_refused_value_leaves_the_address_bar(page, app_url, path, notice):
    page.goto(app_url + path)
    page.get_by_text(notice).wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)
    page.wait_for_function(
        "!location.search.includes('L99H99') && !location.search.includes('blayer=77')", timeout=WAIT_MS
    )
