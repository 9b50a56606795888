"""Every page of the app, measured (issues 15 and 16): a fresh browser tab, and a classroom's load.

For each page app.py's navigation lists, opened by its shared link (default sentence), and for an
empty page (the Heads page with an empty sentence):
- fresh tab: seconds from navigation until Streamlit is idle and every figure is drawn (canvas
  grids, plotly charts, bertviz's frame; bench/browser.py), median of `repeat` loads, cold (a new
  browser context each: nothing cached) and warm (new tabs in one context). A first load of each
  page, not counted, warms the server and learns which figures the page draws. Each cold load
  follows a cold load of the empty page, and "over the empty page" is the median of those pairs'
  differences, so a machine whose load changes during the run weighs on both sides;
- load: `users` simulated users at once, each opening the link `views` times, each view a new
  websocket session on one server process (bench/load.py): views/s and p90 seconds.

    python -m bench.pages [--pages heads,syntax] [--repeat 3] [--users 30] [--views 3]
    python -m bench.pages --table            # the same run, printed as bench/README.md's Markdown table
    python -m bench.pages --from bench.json  # the table of a JSON document printed earlier (or by make bench)

Prints one JSON document; never fails on a number (a page that cannot be measured gets an error).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import runpy
import statistics
import sys
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMPTY = "empty_page"


@dataclasses.dataclass(frozen=True)
class Page:
    """A page of the app: its key in the report, its title in the navigation, its URL path."""

    key: str
    title: str
    url_path: str  # "" for the default page
    script: str  # relative to app.py's folder


class _Listed(Exception):
    """Raised by the stand-in st.navigation: app.py has said which pages it has."""


def app_pages(app: Path = ROOT / "app.py") -> list[Page]:
    """The pages app.py's st.navigation lists, in order.

    Runs app.py up to its st.navigation call, with st.Page and st.navigation replaced by
    recorders (outside a Streamlit server st.Page records nothing), so the list has one place.
    A page's URL path is Streamlit's: the given url_path, else the file's name; "" for the default.
    """
    import streamlit as st
    from streamlit.source_util import page_icon_and_name

    def page(script, *, title=None, url_path=None, default=False, **_):
        _, name = page_icon_and_name(Path(script))
        path = "" if default else (url_path.strip("/") if url_path is not None else name)
        return Page(
            key=path or Path(script).stem, title=title or name.replace("_", " "), url_path=path, script=str(script)
        )

    def navigation(pages, **_):
        raise _Listed(pages)

    with (
        mock.patch.object(st, "Page", page),
        mock.patch.object(st, "navigation", navigation),
        mock.patch.object(st, "set_page_config", lambda *a, **k: None),
    ):
        try:
            runpy.run_path(str(app), run_name="__headscope_pages__")
        except _Listed as listed:
            pages = listed.args[0]
            if isinstance(pages, dict):  # sections: {"Section": [pages]}
                pages = [p for section in pages.values() for p in section]
            return list(pages)
    raise RuntimeError(f"{app} never called st.navigation")


def select(keys: list[str] | None = None) -> list[Page]:
    """The app's pages whose keys are in `keys` (all of them for None), in the app's order."""
    pages = app_pages()
    if not keys:
        return pages
    unknown = sorted(set(keys) - {p.key for p in pages})
    if unknown:
        raise ValueError(f"no page {', '.join(unknown)}; the pages are {', '.join(p.key for p in pages)}")
    return [p for p in pages if p.key in keys]


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def _cold_load(browser, url: str, expect: dict, viewport: dict) -> tuple[float, float]:
    """A new browser context opening url: seconds until drawn (bench/browser.py), and the CPU seconds
    the page's renderer process spent meanwhile (Chromium's ProcessTime), which other work on the
    machine does not inflate as it does the wall-clock seconds."""
    from bench import browser as browser_bench

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    seconds = browser_bench.figures_drawn_s(page, url, expect)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    context.close()
    return seconds, metrics.get("ProcessTime", float("nan"))


def fresh_tab(browser, url: str, repeat: int, empty_url: str | None = None) -> dict:
    """Medians (seconds) of a cold and a warm fresh tab opening url, and what "drawn" waited for.

    With `empty_url`, each cold load of url is paired with a cold load of the empty page just before
    it, and `over_empty_s` is the median of the pairs' differences: load that comes and goes on a
    shared machine then weighs on both loads of a pair, not on the page alone. `renderer_cpu_s` is
    the page's renderer CPU time in a cold load (and `renderer_cpu_over_empty_s` its paired
    difference), a figure a busy machine leaves nearly as it is."""
    from bench import browser as browser_bench

    viewport = {"width": 1400, "height": 1000}
    first = browser.new_context(viewport=viewport)
    expect = browser_bench.figures_expected(first.new_page(), url)  # warms the server too
    first.close()
    warm = browser.new_context(viewport=viewport)
    page = warm.new_page()  # the warm context's cache filled once before counting
    browser_bench.figures_drawn_s(page, url, expect)
    page.close()
    if empty_url is not None:
        context = browser.new_context(viewport=viewport)
        empty_expect = browser_bench.figures_expected(context.new_page(), empty_url)
        context.close()
    cold, cpu, hot, over, cpu_over = [], [], [], [], []
    for _ in range(repeat):
        if empty_url is not None:
            empty_s, empty_cpu = _cold_load(browser, empty_url, empty_expect, viewport)
        seconds, used = _cold_load(browser, url, expect, viewport)
        cold.append(seconds)
        cpu.append(used)
        if empty_url is not None:
            over.append(seconds - empty_s)
            cpu_over.append(used - empty_cpu)
        page = warm.new_page()
        hot.append(browser_bench.figures_drawn_s(page, url, expect))
        page.close()
    warm.close()
    paired = (
        {
            "over_empty_s": _median(over),
            "over_empty_runs_s": [round(t, 2) for t in over],
            "renderer_cpu_over_empty_s": _median(cpu_over),
        }
        if over
        else {}
    )
    return {
        "fresh_tab_s": _median(cold),
        "fresh_tab_warm_s": _median(hot),
        "fresh_tab_runs_s": [round(t, 2) for t in cold],
        "fresh_tab_warm_runs_s": [round(t, 2) for t in hot],
        "renderer_cpu_s": _median(cpu),
        "figures": {k: expect[k] for k in ("grids", "plots", "frames_drawn", "plots_sent", "components_sent")},
        **paired,
    }


def classroom(url: str, page: str, query: str, users: int, views: int) -> dict:
    """`users` x `views` views of one link to `page` (URL path) on one server: views/s, p90 and the rest."""
    from bench import load

    # the page's first run apart: a deep link's first view ends at its rerun through app.py (not cleanly),
    # before the page computed anything; warm until one view has run the page to its end
    for _ in range(3):
        if asyncio.run(load.page_view(url, query, page))[2]:
            break
    result = load.run_users(url, users, views, lambda u, v: query, page=page)
    return {"views_per_s": result.pop("views_per_s"), "p90_s": result.pop("p90_s"), **result}


def _guarded(fn) -> dict:
    """fn's figures, or the one line saying why they could not be measured."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - make bench never fails on one page
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]}


def run(
    keys: list[str] | None = None,
    repeat: int = 3,
    users: int = 30,
    views: int = 3,
    browser: bool = True,
    load: bool = True,
    url: str | None = None,
) -> dict:
    """{"pages": {key: figures}, "empty_page": figures, "pages_conditions": {...}} on one server
    (started here unless `url`); the conditions hold the load average (1, 5, 15 min) before and after."""
    import contextlib

    from bench.browser import EMPTY_PAGE
    from bench.common import machine_speed_ms
    from tests import support

    pages = select(keys)
    conditions = {
        "cores": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "machine_speed_ms_start": machine_speed_ms(),
        "fresh_tab_repeat": repeat,
        "users": users,
        "views_each": views,
    }
    targets = [(p.key, p.title, p.url_path, "") for p in pages]
    targets.append((EMPTY, "Empty page", "", EMPTY_PAGE.split("?", 1)[1]))
    found = {
        key: {"title": title, "url": f"/{path}" + (f"?{query}" if query else "")} for key, title, path, query in targets
    }
    with contextlib.ExitStack() as stack:
        if url is None:
            url = stack.enter_context(support.streamlit_server())
        if browser:  # every page's tabs first, then the load, the browser closed (its sync API holds an event loop)
            with support.chromium() as chromium:
                empty_url = url + found[EMPTY]["url"]
                for key, *_ in targets:
                    paired = None if key == EMPTY else empty_url
                    found[key].update(
                        _guarded(
                            lambda key=key, paired=paired: fresh_tab(chromium, url + found[key]["url"], repeat, paired)
                        )
                    )
                    print(f"fresh tab {key}: {json.dumps(found[key])}", file=sys.stderr, flush=True)
        if load:
            for key, _, path, query in targets:
                found[key].update(_guarded(lambda path=path, query=query: classroom(url, path, query, users, views)))
                print(f"load {key}: {json.dumps(found[key])}", file=sys.stderr, flush=True)
    conditions["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    conditions["machine_speed_ms_end"] = machine_speed_ms()
    empty = found.pop(EMPTY)
    return {"pages": found, EMPTY: empty, "pages_conditions": conditions}


def table(report: dict) -> str:
    """The per-page figures of a report (run's, or make bench's) as a Markdown table."""
    rows = [*report.get("pages", {}).items()]
    if EMPTY in report:
        rows.append((EMPTY, report[EMPTY]))
    empty = report.get(EMPTY, {}).get("fresh_tab_s")

    def cell(value, unit: str = "") -> str:
        return "–" if value is None else f"{value}{unit}"

    lines = [
        "| page | fresh tab, cold | fresh tab, warm | cold over empty page | renderer CPU over empty page "
        "| views/s | p90 | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, f in rows:
        cold = f.get("fresh_tab_s")
        over = f.get("over_empty_s")  # paired with empty-page loads (fresh_tab); else against the empty page's median
        if over is None and cold is not None and empty is not None and key != EMPTY:
            over = cold - empty
        over = None if over is None else f"{over:+.2f}"
        cpu_over = f.get("renderer_cpu_over_empty_s")
        cpu_over = None if cpu_over is None else f"{cpu_over:+.2f}"
        failed = f.get("failed")
        if f.get("errors_shown"):
            failed = f"{failed} ({f['errors_shown']} showed an error)"
        name = f.get("title", key) + (" (error: see JSON)" if "error" in f else "")
        lines.append(
            f"| {name} | {cell(cold, ' s')} | {cell(f.get('fresh_tab_warm_s'), ' s')} | "
            f"{cell(over, ' s')} | {cell(cpu_over, ' s')} | {cell(f.get('views_per_s'))} | {cell(f.get('p90_s'), ' s')} | "
            f"{cell(failed)} |"
        )
    c = report.get("pages_conditions")
    if c:
        lines.append("")
        lines.append(
            f"{c['cores']} cores; load average (1, 5, 15 min) {c['load_average_start']} at the start, "
            f"{c.get('load_average_end')} at the end; fresh tab: median of {c['fresh_tab_repeat']} loads; "
            f"load: {c['users']} users x {c['views_each']} views of each page's link, one server process."
        )
        if "machine_speed_ms_start" in c:
            lines.append(
                f"The machine's speed (bench.common.machine_speed_ms, lower is faster): {c['machine_speed_ms_start']} ms "
                f"at the start, {c.get('machine_speed_ms_end')} ms at the end."
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", help="comma-separated page keys (default: every page of app.py)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh tabs per page, cold and warm (default 3)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--views", type=int, default=3, help="views of the link per user")
    parser.add_argument("--no-browser", action="store_true", help="load only")
    parser.add_argument("--no-load", action="store_true", help="fresh tabs only")
    parser.add_argument("--table", action="store_true", help="print the Markdown table instead of JSON")
    parser.add_argument("--from", dest="source", type=Path, help="print the table of a JSON report; run nothing")
    parser.add_argument("--list", action="store_true", help="print the pages' keys and titles; run nothing")
    args = parser.parse_args(argv)
    if args.source:
        report = json.loads(args.source.read_text())
        print(table(report))
        return
    if args.list:
        for page in app_pages():
            print(f"{page.key}\t/{page.url_path}\t{page.title}")
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        keys = args.pages.split(",") if args.pages else None
        select(keys)
    except ValueError as exc:
        print(f"bench.pages: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    report = run(keys, args.repeat, args.users, args.views, not args.no_browser, not args.no_load)
    print(table(report) if args.table else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
