"""Chromium measurements: server start to first heatmap, and navigation to all heatmaps drawn.

Each case is measured two ways, medians over `repeat` loads, each load a new Streamlit session:
- cold: a new browser context each time (empty HTTP cache: Streamlit's and plotly's JavaScript
  are fetched and compiled again), as a student's first visit;
- warm: new pages in one context (the browser's cache holds the JavaScript), as a user going
  from page to page or opening a second link.
The bytes each view sends over Streamlit's websocket are read with bench/load.py.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from urllib.parse import urlencode

from bench import load
from tests import support


def _drawn_ms(page, url: str, count: int, selector: str = support.HEATMAP) -> float:
    """Navigate to url; ms until `count` heatmaps (or other elements) are drawn and Streamlit is idle."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('{selector}').length >= {count}", timeout=120_000)
    support.wait_idle(page)
    # and the browser has painted a frame with them (two animation frames: the second starts after a paint)
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return 1000 * (time.perf_counter() - start)


def _cases(url: str) -> dict:
    """name -> (url, elements to wait for, CSS selector)."""
    long_text = " ".join(["word"] * 510)  # 512 tokens with [CLS] and [SEP]
    return {
        "empty_page": (f"{url}/?text=%20", 1, "[data-testid=stAlert]"),
        "heads_10_tokens_one_layer": (url, 12, support.HEATMAP),
        "all_layers_10_tokens_72_heads": (f"{url}/?all=1", 72, support.HEATMAP),
        "one_layer_512_tokens": (f"{url}/?{urlencode({'text': long_text})}", 12, support.HEATMAP),
        "all_layers_512_tokens_72_heads": (f"{url}/?{urlencode({'text': long_text, 'all': 1})}", 72, support.HEATMAP),
    }


def _websocket_bytes(url: str, query: str) -> int:
    """Bytes one page view receives over Streamlit's websocket (in a thread: Playwright's sync
    API keeps an event loop running in this one)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(load.page_view(url, query))[1]).result()


def run(repeat: int = 5) -> dict:
    """Cold and warm medians for each case, and the websocket bytes of each view."""
    out: dict = {}
    start = time.perf_counter()
    with support.streamlit_server() as url, support.chromium() as browser:
        page = browser.new_page()
        first = _drawn_ms(page, url, 12)
        out["streamlit_run_to_first_heatmap_s"] = round(time.perf_counter() - start, 2)
        out["first_view_ms_model_cold"] = round(first, 1)
        page.close()
        warm = browser.new_context(viewport={"width": 1400, "height": 1000})
        for name, (target, count, selector) in _cases(url).items():
            query = target.split("?", 1)[1] if "?" in target else ""
            out[f"{name}_websocket_bytes"] = _websocket_bytes(url, query)
            cold, hot = [], []
            for i in range(repeat + 1):  # the first load of each case warms the server's caches
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                ms = _drawn_ms(context.new_page(), target, count, selector)
                context.close()
                page = warm.new_page()
                warm_ms = _drawn_ms(page, target, count, selector)
                page.close()
                if i:
                    cold.append(ms)
                    hot.append(warm_ms)
            out[f"{name}_cold_ms"] = round(statistics.median(cold), 1)
            out[f"{name}_warm_ms"] = round(statistics.median(hot), 1)
        warm.close()
    out.update(_plotly_floor(browser_repeat=repeat))
    return out


def _plotly_floor(browser_repeat: int) -> dict:
    """Warm-cache ms for a page with a title, and for the same page with a one-point plotly chart."""
    from pathlib import Path

    script = Path(__file__).with_name("one_point_chart.py")
    out = {}
    with support.streamlit_server(script=script) as url, support.chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        for name, query, selector in (("title_only", "", "h1"), ("one_point_plotly_chart", "?chart=1", ".js-plotly-plot")):
            times = []
            for i in range(browser_repeat + 1):
                page = context.new_page()
                ms = _drawn_ms(page, f"{url}/{query}", 1, selector)
                page.close()
                if i:
                    times.append(ms)
            out[f"floor_{name}_warm_ms"] = round(statistics.median(times), 1)
        context.close()
    return out
