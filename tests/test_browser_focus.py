"""Keyboard focus on the sidebar's page links, light and dark: after Tab, the focused link has a ring that
stands out from the sidebar behind it (WCAG 2.2's 3:1 for a focus indicator), not a faint grey tint."""

from __future__ import annotations

import re

import pytest

from tests import support

pytestmark = pytest.mark.browser

WAIT_MS = 240_000  # two cores, other test runs going on at the same time

FOCUSED = """() => {
    const a = document.activeElement, s = getComputedStyle(a);
    const behind = [];  // the background colours behind the ring, the focused element's first
    for (let e = a; e; e = e.parentElement) behind.push(getComputedStyle(e).backgroundColor);
    return {tag: a.tagName, text: a.innerText, href: a.getAttribute('href'), style: s.outlineStyle,
            width: parseFloat(s.outlineWidth), colour: s.outlineColor, behind};
}"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    """A computed colour (rgb(), rgba() or color(srgb ...)) as r, g, b in 0-1 and alpha."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css.split("(", 1)[1])]
    if css.startswith("color("):
        r, g, b, *a = numbers
    else:
        r, g, b, *a = (numbers[0] / 255, numbers[1] / 255, numbers[2] / 255, *numbers[3:])
    return r, g, b, a[0] if a else 1.0


def _over(top: tuple, bottom: tuple) -> tuple:
    """`top` painted over an opaque `bottom`."""
    alpha = top[3]
    return tuple(alpha * t + (1 - alpha) * b for t, b in zip(top[:3], bottom[:3], strict=True)) + (1.0,)


def _luminance(rgb: tuple) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: tuple, b: tuple) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _background(layers: list[str]) -> tuple:
    """What shows behind the focused element: its and its ancestors' backgrounds, composed down to the first opaque one."""
    colours = [_rgba(c) for c in layers]
    opaque = next((i for i, c in enumerate(colours) if c[3] == 1.0), len(colours))
    out = colours[opaque] if opaque < len(colours) else (1.0, 1.0, 1.0, 1.0)
    for colour in reversed(colours[:opaque]):
        out = _over(colour, out)
    return out


@pytest.fixture(scope="module", params=["light", "dark"])
def themed(request, tmp_path_factory):
    log = tmp_path_factory.mktemp(f"streamlit-{request.param}") / "streamlit.log"
    with support.streamlit_server(log_path=log, extra_args=["--theme.base", request.param]) as url:
        yield request.param, url


def test_tab_to_a_sidebar_link_shows_a_clear_ring(browser, themed, tmp_path):
    theme, url = themed
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url + "/")
    support.wait_heatmaps(page, 12, WAIT_MS)
    focused = None
    for _ in range(60):  # Tab through the page until the link to Syntax heads has the focus
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "A" and focused["text"].strip().endswith("Syntax heads"):
            break
    else:
        pytest.fail(f"Tab never reached the sidebar's link to Syntax heads (last: {focused})")
    page.screenshot(path=str(tmp_path / f"focus-{theme}.png"), clip={"x": 0, "y": 0, "width": 400, "height": 500})
    context.close()
    assert focused["style"] != "none" and focused["width"] >= 2, focused
    ring, behind = _rgba(focused["colour"]), _background(focused["behind"])
    assert ring[3] == 1.0, focused  # opaque: the text colour's own transparency is not the ring's
    assert _contrast(ring, behind) >= 3, (theme, focused)
    assert (theme == "dark") == (_luminance(behind) < 0.2), (theme, focused)  # the theme asked for is the one read
