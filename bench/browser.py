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


# What a page shows, counted in the page (its main frame) when Streamlit is idle: our components (canvas
# grids, the arc diagram) and how many of them are drawn, plotly charts and how many are drawn, titles and messages.
_FIGURES_JS = """() => {
  const grids = [...document.querySelectorAll('.hs-grid, .hs-arcs')];  // our components: grids, the arc diagram
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  return {
    idle: !document.querySelector('[data-testid="stStatusWidget"]'),
    grids: grids.length,
    grids_drawn: grids.filter(g => g.dataset.drawn !== undefined).length,
    plots: plots.length,
    plots_drawn: plots.filter(p => p._fullLayout && p.querySelector('.main-svg')).length,
    headings: document.querySelectorAll('[data-testid="stHeading"]').length,
    alerts: document.querySelectorAll('[data-testid="stAlert"]').length,
  };
}"""

FRAME_DRAWN = "svg text"  # a frame (bertviz's sandboxed one) is drawn once its SVG has words


def figures_now(page) -> dict:
    """What the page shows right now (see _FIGURES_JS), with `frames_drawn`: frames holding an SVG with words."""
    state = page.evaluate(_FIGURES_JS)
    drawn = 0
    for frame in page.frames[1:]:
        try:
            drawn += frame.evaluate(f"document.querySelectorAll('{FRAME_DRAWN}').length > 0")
        except Exception:  # noqa: BLE001 - a frame that went away while counted
            pass
    state["frames_drawn"] = drawn
    return state


def _complete(state: dict, expect: dict) -> bool:
    """Idle, and at least the figures `expect` counts are there and drawn (and every one there is drawn)."""
    return (
        state["idle"]
        and state["headings"] + state["alerts"] >= expect["headings"] + expect["alerts"]
        and state["grids_drawn"] == state["grids"] >= expect["grids"]
        and state["plots_drawn"] == state["plots"] >= expect["plots"]
        and state["frames_drawn"] >= expect["frames_drawn"]
        and state["plots_drawn"] >= expect.get("plots_sent", 0)
        # a component draws a grid, an arc diagram, a frame or a plotly chart (components/plotly_chart.py)
        and state["grids_drawn"] + state["frames_drawn"] + state["plots_drawn"]
        >= expect.get("components_sent", 0) + expect.get("plots_sent", 0)
    )


def _watch(page) -> list:
    """From now on: what the server sends the page's sessions: "finished" for each script run that
    finished cleanly, and (delta path, kind) for each element drawn ("plotly" or "component").

    Streamlit's status widget is not a sign of a run (it was absent for seconds while a fresh
    server loaded the model), and a chart is in the page's DOM only once Streamlit's plotly chunk
    has loaded, seconds after the run on a busy machine: the server's messages say what to wait for.
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    kinds = {"plotly_chart": "plotly", "bidi_component": "component"}

    def pick(msg):
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            return "finished" if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY else None
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            return tuple(msg.metadata.delta_path), kinds.get(msg.delta.new_element.WhichOneof("type"))
        return None

    return support.websocket_log(page, pick)


def _sent(log: list) -> dict:
    """Plotly charts and components the server's messages drew (an element replaced at the same place counted once)."""
    latest = dict(entry for entry in log if isinstance(entry, tuple))
    kinds = list(latest.values())
    return {"plots_sent": kinds.count("plotly"), "components_sent": kinds.count("component")}


def figures_expected(page, url: str, settle_s: float = 3.0, timeout_s: float = 300.0) -> dict:
    """Open url; once a script run has finished, the figures its messages drew are drawn (or 60 s
    have passed) and the page has shown the same figures for `settle_s`: those figures.

    The first load of a page: it learns what "drawn" means for it (bench/pages.py measures the loads after).
    """
    log = _watch(page)
    page.goto(url)
    start = time.monotonic()
    last, since = None, start
    while time.monotonic() < start + timeout_s:
        state = figures_now(page)
        finished = "finished" in log
        sent = _sent(log)
        arrived = finished and (_complete(state, {**state, **sent}) or time.monotonic() > start + 60)
        if state != last or not arrived:
            last, since = state, time.monotonic()
        elif time.monotonic() - since >= settle_s:
            return {**{k: v for k, v in state.items() if k != "idle"}, **sent}
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not settle in {timeout_s:.0f} s; last seen {last}")


def figures_drawn_s(page, url: str, expect: dict, timeout_s: float = 180.0) -> float:
    """Navigate to url; seconds until a script run has finished, Streamlit is idle and every figure is
    drawn (canvas grids, plotly charts, bertviz's frame): those the run sent and at least those
    `expect` counts; and the browser has painted them."""
    log = _watch(page)
    start = time.perf_counter()
    page.goto(url)
    deadline = time.monotonic() + timeout_s
    # figures_now first: Playwright's sync API hands over websocket events only while it is called
    while not (_complete(state := figures_now(page), {**expect, **_sent(log)}) and "finished" in log):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{url} not drawn in {timeout_s:.0f} s: expected {expect}, sent {_sent(log)}, saw {state}"
            )
        time.sleep(0.02)
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return time.perf_counter() - start


EMPTY_PAGE = "/?text=%20"  # the Heads page with an empty sentence: the app's frame and a message, no figure


def _cases(url: str) -> dict:
    """name -> (url, elements to wait for, CSS selector)."""
    long_text = " ".join(["word"] * 510)  # 512 tokens with [CLS] and [SEP]
    return {
        "empty_page": (f"{url}{EMPTY_PAGE}", 1, "[data-testid=stAlert]"),
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
        for name, query, selector in (
            ("title_only", "", "h1"),
            ("one_point_plotly_chart", "?chart=1", ".js-plotly-plot"),
        ):
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
