"""Chromium measurements: server start to first heatmap, and navigation to all heatmaps drawn."""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlencode

from tests import support


def _drawn_ms(page, url: str, count: int, selector: str = support.HEATMAP) -> float:
    """Navigate to url; ms until `count` heatmaps (or images) are drawn and Streamlit is idle."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('{selector}').length >= {count}", timeout=120_000)
    support.wait_idle(page)
    return 1000 * (time.perf_counter() - start)


def run(repeat: int = 5) -> dict:
    """Medians over `repeat` fresh page loads, each in a new browser context (a new session)."""
    out: dict = {}
    start = time.perf_counter()
    with support.streamlit_server() as url, support.chromium() as browser:
        page = browser.new_page()
        first = _drawn_ms(page, url, 12)
        out["streamlit_run_to_first_heatmap_s"] = round(time.perf_counter() - start, 2)
        out["first_view_ms_model_cold"] = round(first, 1)
        page.close()
        long_text = " ".join(["word"] * 510)  # 512 tokens
        cases = {
            "empty_page_ms": (f"{url}/?text=%20", 0, "[data-testid=stAlert]"),
            "heads_10_tokens_one_layer_ms": (url, 12, support.HEATMAP),
            "all_layers_10_tokens_72_heads_ms": (f"{url}/?all=1", 72, support.HEATMAP),
            "all_layers_512_tokens_72_heads_ms": (f"{url}/?{urlencode({'text': long_text, 'all': 1})}", 72,
                                                  ".js-plotly-plot image"),
        }
        for name, (target, count, selector) in cases.items():
            times = []
            for i in range(repeat + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                ms = _drawn_ms(page, target, max(count, 1), selector)
                context.close()
                if i:  # the first load of each case warms the server's caches
                    times.append(ms)
            out[name] = round(statistics.median(times), 1)
    return out
