"""The HTML report in Chromium, opened from disk with the network off: its grids are the app's renderer."""

from __future__ import annotations

import pytest

from headscope import attention, report, syntax

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)> sat </script><script>alert(2)</script>"


def _open_report(loaded, browser, tmp_path, text: str):
    """The report of `text` opened from disk with the network off, once its six layers and its arc diagram are
    drawn: (context, page, page errors, dialogs), the last two filled as they come."""
    att = attention.run(loaded, text)
    path = tmp_path / "report.html"
    path.write_text(report.build(att, syntax.score_sentence(att, syntax.parse(text))), encoding="utf-8")
    context = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors, dialogs = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.hs-grid[data-drawn=\"12\"]').length === 6", timeout=60_000)
    page.locator(".hs-arcs[data-drawn]").wait_for(timeout=60_000)
    return context, page, errors, dialogs


def test_report_draws_every_layer_offline(loaded, browser, tmp_path):
    context, page, errors, dialogs = _open_report(loaded, browser, tmp_path, XSS)
    # the parse, drawn by the app's arc diagram script: every word as text, every arc in colour (all relations)
    words = page.locator(".hs-arcs .hs-word").evaluate_all("els => els.map(e => e.textContent)")
    assert words == list(syntax.parse(XSS).words), words
    arcs = page.locator(".hs-arcs .hs-arc").count()
    assert arcs == len(syntax.parse(XSS).arcs()) and page.locator(".hs-arcs .hs-arc.hs-on").count() == arcs
    names = page.eval_on_selector_all(".hs-grid .hs-name", "els => els.map(e => e.textContent)")
    assert names[:2] == ["L0H0", "L0H1"] and len(names) == 72
    labels = page.eval_on_selector_all(".hs-grid .hs-xlabel", "els => els.map(e => e.textContent)")
    assert "<img" in " ".join(labels) or "<" in " ".join(labels)  # the tokens, shown as text
    box = page.locator(".hs-grid canvas.hs-cells").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "\u2192" in page.locator(".hs-tip:visible").inner_text()  # hover works in the file too
    context.close()
    assert not errors and not dialogs, (errors, dialogs)


COMMENT = "The cat sat on a<!--<script mat & a rug."


def test_a_sentence_with_an_html_comment_and_script_still_draws(loaded, browser, tmp_path):
    # escaping only `</` left `<!--<script` in the data: the HTML parser never closed that script
    context, page, errors, _ = _open_report(loaded, browser, tmp_path, COMMENT)
    words = page.locator(".hs-arcs .hs-word").evaluate_all("els => els.map(e => e.textContent)")
    assert words == list(syntax.parse(COMMENT).words), words
    assert page.locator(".hs-arcs .hs-arc").count() == len(syntax.parse(COMMENT).arcs())
    context.close()
    assert not errors, errors
