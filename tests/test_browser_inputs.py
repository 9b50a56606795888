"""The Head atlas over an upload in a real browser: the Stop button interrupts the computation.

AppTest cannot click while a script runs; here a user clicks Stop during the scoring, sees
how far it got and the atlas of what was scored, then clicks Go on and gets the whole atlas.
"""

from __future__ import annotations

import re

import pytest

from tests.support import wait_idle

pytestmark = pytest.mark.browser

SENTENCES = 120
LINE = (
    "The old keys to the cabinet that my brother found in the garden last spring were on the table "
    "next to the lamp, and nobody could say who had left them there or why they were still wet."
)


def test_stop_keeps_what_was_scored_and_go_on_finishes(page, app_url, tmp_path):
    corpus = tmp_path / "long.txt"
    corpus.write_text("\n".join(f"{i} {LINE}" for i in range(SENTENCES)) + "\n", encoding="utf-8")
    page.goto(f"{app_url}/atlas")
    page.get_by_text("Upload my own").click(timeout=300_000)  # the first visit computes the bundled atlas
    page.locator("input[type=file]").set_input_files(str(corpus), timeout=300_000)
    page.get_by_text(re.compile(r"Scoring every head: \d")).wait_for(timeout=180_000)
    page.get_by_role("button", name=re.compile("Stop")).click()
    stopped = page.get_by_text(re.compile(rf"Stopped after [\d,]+ of {SENTENCES} sentences\."))
    stopped.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    done = int(re.search(r"after ([\d,]+) of", stopped.text_content()).group(1).replace(",", ""))
    assert 0 < done < SENTENCES
    page.get_by_text(re.compile(rf"long\.txt: {done} sentences?, ")).wait_for(timeout=60_000)  # the partial atlas
    page.get_by_role("button", name=re.compile("Go on")).click()
    page.get_by_text(re.compile(rf"long\.txt: {SENTENCES} sentences, ")).wait_for(timeout=600_000)
    assert not page.get_by_text("Stopped after").count()
