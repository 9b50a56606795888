"""Hostile text (HTML, script, javascript: links) in Chromium: shown as text everywhere, never run.

Every page that shows tokens is opened with the hostile sentence in its `?text=` link. The
browser context arms a canary in every document (the top page and every frame, bertviz's
srcdoc iframe included): `alert`, `confirm` and `prompt` set `window.__pwned` and the top
page's title before doing their usual work, so a payload that runs is caught even where a
dialog would not show. Dialogs, page errors and console errors are recorded for the page and
its frames and must stay empty (see `_unrelated` for the two console errors left out).

The bundled model's tokenizer cuts `<img src=x onerror=alert(1)>` into `<`, `im`, `##g`,
... (every punctuation mark is a token of its own, with or without "Whole words"), so the
heatmaps' labels hold `<`, `>`, `"` and `/` one at a time; spaCy's words in the arc diagram
keep longer pieces such as `alert(1)</script` and `Tom&lt;b&gt;Jerry`. Assertions compare
what is drawn with those tokens and words, computed here from the same model and parser.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests import support

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror=alert(1)> </script> "><svg onload=alert(1)> <script>alert(1)</script> javascript:alert(1)'
"""53 word pieces with the bundled model: under the 60 above which heatmaps drop their tick labels."""
MARKUP = "Tom&lt;b&gt;Jerry said [click me](javascript:alert(1)) <b>hi</b> <x@y.z> *x* :red[y] $m$"
"""Text that markdown would turn into a link, an entity, bold or colour, if it were not escaped."""
WAIT_MS = 240_000  # two cores, other test runs going on at the same time

CANARY = """
window.__armed = true;
for (const name of ['alert', 'confirm', 'prompt']) {
  const original = window[name];
  window[name] = function (...args) {
    window.__pwned = (window.__pwned || 0) + 1;
    try { top.document.title = 'PWNED'; } catch (e) {}
    return original.apply(this, args);
  };
}
"""
"""Runs first in every document of the context: a payload that calls alert() leaves a mark."""

# Streamlit's frontend, opened on a deep link such as /syntax, first asks for its health
# check and host config relative to that path (/syntax/_stcore/health), gets a 404, then
# finds the server's root. These two requests happen before any text reaches the page.
_PROBE_404 = re.compile(r"^https?://[^/]+/[a-z]+/_stcore/(health|host-config)$")
FRAME_PROBE = "headscope-xss-frame-console-probe"

# every element or attribute a payload could create, in any document
_INJECTED = """() => [
  ...document.querySelectorAll('[onerror], [onload], img[src="x"], svg[onload]'),
  ...[...document.querySelectorAll('a[href]')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))),
  ...[...document.scripts].filter(s => s.text.trim() === 'alert(1)'),
].map(e => e.outerHTML.slice(0, 200))"""


class Watch:
    """What the page and its frames did that a safe page never does."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, msg) -> None:
        if msg.type != "error" or _unrelated(msg):
            return
        self.console.append(f"{msg.text} ({msg.location.get('url', '')})")

    def check(self) -> None:
        """No dialog, no page error, no console error, no canary and no injected element anywhere."""
        self.page.wait_for_timeout(500)  # let late handlers (onerror of a broken image) fire
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        assert [c for c in self.console if FRAME_PROBE not in c] == [], self.console
        assert "PWNED" not in self.page.title()
        for frame in self.page.frames:
            armed, pwned = frame.evaluate("[window.__armed === true, window.__pwned || 0]")
            assert armed, f"the canary is not armed in {frame.url[:80]}"
            assert pwned == 0, f"a payload ran in {frame.url[:80]}"
            assert frame.evaluate(_INJECTED) == [], frame.url[:80]


def _unrelated(msg) -> bool:
    """The deep-link probes of Streamlit's frontend (see _PROBE_404); nothing else is left out."""
    return msg.text.startswith("Failed to load resource: the server responded with a status of 404") and bool(
        _PROBE_404.match(msg.location.get("url", ""))
    )


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script(CANARY)
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


@pytest.fixture(scope="module")
def hostile_tokens():
    """The bundled model's word pieces of HOSTILE and their labels as drawn (unique, unescaped)."""
    from headscope import attention, models, panels

    tokens = attention.run(models.load(), HOSTILE).tokens
    assert len(tokens) <= panels.TICKS_UP_TO, "HOSTILE must stay short enough for heatmaps to show tick labels"
    return tokens, panels.token_labels(tokens)


def _open(page, app_url: str, path: str, **params) -> None:
    page.goto(f"{app_url}/{path}?{urlencode({'text': HOSTILE, **params}, quote_via=quote)}")


def _check_labels(shown: list[str], expected: list[str], full: bool = False) -> None:
    """Tick labels are the tokens as text: no entity left, every one a real label, '<' and '>' among them."""
    shown = [s for s in shown if not re.fullmatch(r"[\u2212-]?[\d.]+", s)]  # numeric axes (dimensions, weights)
    assert shown, "no tick labels drawn"
    assert not [s for s in shown if re.search(r"&(lt|gt|amp|quot|#\d+);", s)], shown
    assert set(shown) <= set(expected), sorted(set(shown) - set(expected))
    assert any(s.startswith("<") for s in shown) or any(s.startswith(">") for s in shown), shown
    if full:  # a large panel shows every markup character, as text (labels that would be under 11 px are left
        # out rather than shrunk, and the grid's data-labels-skipped counts them)
        hostile = {e[:1] for e in expected if e[:1] in '<>"/'}
        assert hostile <= {s[:1] for s in shown}, sorted(hostile - {s[:1] for s in shown})


def _grid_labels(page, scope: str = support.GRID) -> list[str]:
    """The row and column labels of the canvas grids (static/headscope/heatmap_grid.js) `scope` selects."""
    return support.grid_labels(page, scope, WAIT_MS)


def test_heads_page_one_layer_all_layers_and_one_head(watched, app_url, hostile_tokens, tmp_path):
    page, watch = watched
    tokens, labels = hostile_tokens
    n = len(tokens)
    _open(page, app_url, "", layer=0)
    support.wait_heatmaps(page, 12, WAIT_MS)
    _check_labels(_grid_labels(page), labels)
    assert page.get_by_role("textbox", name="Sentence").input_value() == HOSTILE
    # hover the cell (row 1, column 1) of the canvas grid: '<' attending to '<', its label as text
    tip = support.hover_grid_cell(page, 0, 1, 1, n, 30_000)
    assert f"L0H0 {labels[1]} \u2192 {labels[1]}: " in tip, tip
    # the grid as an SVG file: the tokens are text in it, and opening it runs nothing
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Download SVG").click()
    path = tmp_path / "grid.svg"
    download.value.save_as(path)
    watch.check()
    badges = {b.strip() for b in support.svg_texts(page, ".hs-grid .hs-badge")} - {""}  # corpus badges, not tokens
    page.goto(path.as_uri())
    page.wait_for_selector("svg text", timeout=WAIT_MS)
    in_file = support.svg_texts(page, "svg text")
    names = {f"L0H{h}" for h in range(12)} | {"attends from", "attends to", "weight"} | badges
    assert names <= set(in_file)
    _check_labels([t for t in in_file if t not in names], labels)
    watch.check()

    _open(page, app_url, "", all="1")
    support.wait_heatmaps(page, 72, WAIT_MS)
    page.locator("canvas.hs-cells").nth(2 * 12 + 3).click()
    page.get_by_role("heading", name="L2H3").wait_for(timeout=WAIT_MS)
    support.wait_heatmaps(page, 73, WAIT_MS)
    assert support.large_head_names(page, WAIT_MS, lambda t: t == ["L2H3"]) == ["L2H3"]
    _check_labels(_grid_labels(page, support.LARGE_HEAD), labels, full=True)
    # hover the cell (row 1, column 1) of the head opened large (the 73rd canvas)
    tip = support.hover_grid_cell(page, 72, 1, 1, n, 30_000)
    assert f"L2H3 {labels[1]} \u2192 {labels[1]}: " in tip, tip
    watch.check()


def test_syntax_page_arc_diagram(watched, app_url):
    from headscope import syntax

    page, watch = watched
    text = f"{HOSTILE} Tom&lt;b&gt;Jerry"
    words = list(syntax.parse(text).words)
    assert "alert(1)</script" in words and "Tom&lt;b&gt;Jerry" in words  # spaCy keeps these whole
    page.goto(f"{app_url}/syntax?{urlencode({'text': text}, quote_via=quote)}")
    support.wait_heatmaps(page, 4, WAIT_MS)
    # the arc diagram (static/headscope/arc_diagram.js): its words are SVG text nodes
    drawn = support.wait_texts(
        page, ".hs-arcs .hs-word", lambda t: len(t) == len(words), "the arc diagram's words", WAIT_MS
    )
    assert drawn == words  # every word exactly as typed, entities not decoded
    labels = _grid_labels(page)
    assert labels and not [s for s in labels if re.search(r"&(lt|gt|amp);", s) and s != "Tom&lt;b&gt;Jerry"], labels
    # the arcs' hover text, on the nsubj arc
    page.locator(".hs-arcs .hs-arc[data-relation='nsubj'] .hs-arc-label").first.hover()
    hover = page.locator(".hs-arcs .hs-tip")
    hover.wait_for(state="visible", timeout=30_000)
    assert "\u2190nsubj\u2014" in hover.text_content() and "&lt;" not in hover.text_content()
    watch.check()


@pytest.mark.parametrize(
    "path, heatmaps, full",
    [
        ("overview", 1, False),
        ("inside", 11, True),
        ("rollout", 2, False),
        ("compare", 24, False),
        ("present", 1, False),
    ],
)  # compare: A and B (no shared word: no difference; the other tabs are closed); rollout's panels share the width, so labels are thinned
def test_pages_with_tokens(watched, app_url, hostile_tokens, path, heatmaps, full):
    page, watch = watched
    _, labels = hostile_tokens
    _open(page, app_url, path)
    support.wait_heatmaps(page, heatmaps, WAIT_MS)
    if path == "overview":  # open a head: its heatmap has the tokens
        support.click_grid_cell(page, 0, 1, 8)
        page.get_by_role("heading", name="L1H8").wait_for(timeout=WAIT_MS)
        support.wait_heatmaps(page, 2, WAIT_MS)
    # compare: the first grid (sentence A); overview: the head opened (the role grid's labels are L0, H0...)
    scope = {"compare": f"{support.GRID} >> nth=0", "overview": support.LARGE_HEAD}.get(path, support.GRID)
    _check_labels(_grid_labels(page, scope), labels, full=full)
    if path in ("present", "compare"):  # the sentence itself, in markdown, as typed
        assert HOSTILE[:100] in page.locator("[data-testid='stMain']").inner_text()
    watch.check()


def test_bertviz_iframe(watched, app_url, hostile_tokens):
    page, watch = watched
    tokens, _ = hostile_tokens
    for view in ("head", "model"):
        _open(page, app_url, "bertviz", bview=view)
        frame_el = page.locator("iframe").first
        frame_el.wait_for(timeout=WAIT_MS)
        support.wait_idle(page, WAIT_MS)
        frame = frame_el.element_handle().content_frame()
        selector = "text" if view == "head" else "svg"
        frame.wait_for_selector(selector, timeout=WAIT_MS)
        if view == "head":  # the tokens, once in each of its two columns
            drawn = support.wait_texts(
                frame, "text", lambda t: len(t) >= 2 * len(tokens), "the head view's tokens", WAIT_MS
            )
            assert set(tokens) <= set(drawn), sorted(set(tokens) - set(drawn))
            assert {"<", ">", '"', "/"} <= set(drawn) and not [d for d in drawn if "&lt;" in d or "&gt;" in d]
        # console errors from inside the frame reach the listener (so the check covers frames)
        frame.evaluate(f"console.error('{FRAME_PROBE}')")
        page.wait_for_timeout(300)
        assert any(FRAME_PROBE in c for c in watch.console), "console errors of frames are not seen"
        watch.check()


def test_markdown_shows_the_text_as_typed(watched, app_url):
    """Where the sentence goes through markdown, it is shown as typed: no link, entity or emphasis."""
    page, watch = watched
    page.goto(f"{app_url}/present?{urlencode({'text': MARKUP}, quote_via=quote)}")
    support.wait_heatmaps(page, 1, WAIT_MS)
    assert f"\u201c{MARKUP}\u201d" in page.locator("[data-testid='stMain']").inner_text()
    watch.check()

    page.goto(f"{app_url}/compare?{urlencode({'text': HOSTILE, 'ctext': MARKUP}, quote_via=quote)}")
    support.wait_heatmaps(page, 60, WAIT_MS)  # A and B; both over the words they share, and A - B (the open tab)
    assert f"B: {MARKUP}" in page.locator("[data-testid='stMain']").inner_text()
    watch.check()

    # a link's bad values are echoed in a warning (markdown): no script, no javascript: link
    bad = "[x](javascript:alert(1))"
    page.goto(
        f"{app_url}/?{urlencode({'text': HOSTILE, 'layer': bad, '<img src=x onerror=alert(1)>': '1'}, quote_via=quote)}"
    )
    support.wait_heatmaps(page, 12, WAIT_MS)
    warnings = page.locator("[data-testid='stAlert']").all_inner_texts()
    assert any("Ignored layer=" in w for w in warnings), warnings
    assert any("<img src=x onerro" in w for w in warnings), warnings
    watch.check()


class _Tags(HTMLParser):
    """Start tags and the text of <p class='quote'> in an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.quote: list[str] = []
        self._in_quote = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_quote = tag == "p" and ("class", "quote") in attrs

    def handle_endtag(self, tag):
        self._in_quote = False

    def handle_data(self, data):
        if self.lasttag == "script":
            self.scripts.append(data)
        if self._in_quote:
            self.quote.append(data)


def _report_is_safe(doc: str) -> None:
    """The report holds the text only as text: no element or event handler from it."""
    parser = _Tags()
    parser.feed(doc)
    assert "".join(parser.quote) == HOSTILE
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"img", "svg", "iframe", "object", "embed"}, tags
    handlers = [(tag, name) for tag, attrs in parser.tags for name, _ in attrs if name.startswith("on")]
    assert handlers == [], handlers
    assert html.escape(HOSTILE) in doc
    assert "alert(1)" not in [text.strip() for text in parser.scripts]


def test_report_escapes_the_text(hostile_tokens):
    """headscope.report alone: the payload appears only escaped (no browser needed)."""
    from headscope import attention, models, report, roles, syntax

    loaded = models.load()
    att = attention.run(loaded, HOSTILE)
    scores = syntax.score_sentence(att, syntax.parse(HOSTILE))
    _report_is_safe(report.build(att, scores, roles.positional_heads(att)))


def test_report_download_opens_safely(watched, app_url, tmp_path, hostile_tokens):
    page, watch = watched
    _, labels = hostile_tokens
    _open(page, app_url, "")
    support.wait_heatmaps(page, 12, WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name=re.compile("^Report of this sentence")).click()
    path = tmp_path / "report.html"
    download.value.save_as(path)
    _report_is_safe(path.read_text(encoding="utf-8"))
    watch.check()

    page.goto(Path(path).as_uri())
    page.wait_for_function(f"document.querySelectorAll('{support.HEATMAP}').length >= 12", timeout=WAIT_MS)
    watch.check()
    assert page.locator("p.quote").inner_text() == HOSTILE
    layers = ", ".join(f"#hs-grid-{i} > .hs-grid" for i in range(6))  # the six layers; then Which heads matter
    _check_labels(_grid_labels(page, layers), labels)
    assert set(_grid_labels(page, "#hs-grid-6 > .hs-grid")) == {f"L{i}" for i in range(6)} | {
        f"H{h}" for h in range(12)
    }
    arcs = support.wait_texts(page, ".hs-arcs .hs-word", bool, "the report's arc diagram", WAIT_MS)
    assert "alert(1)</script" in arcs
