"""`make bench`: run the benchmarks and print one JSON document. Never fails on a number."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures as figure_bench  # noqa: E402
from bench import syntax as syntax_bench  # noqa: E402
from bench.figures import median_time, text_of  # noqa: E402
from headscope import attention, models  # noqa: E402


def engine(repeat: int = 7) -> dict:
    """Model load time and warm forward pass time at several lengths."""
    start = time.perf_counter()
    loaded = models.load()
    result = {"model_load_s": round(time.perf_counter() - start, 2)}
    for tokens in (10, 128, 512):
        text = text_of(tokens)
        attention.run(loaded, text)  # warm
        result[f"forward_ms_{tokens}_tokens"] = round(1000 * median_time(lambda: attention.run(loaded, text), repeat), 1)
    return result


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report: dict = {"cores": os.cpu_count(), "engine": engine()}
    loaded = models.load()
    report["syntax"] = syntax_bench.run(loaded)
    report["payloads"] = figure_bench.payloads(loaded)
    try:
        from tests.support import chromium

        with chromium() as browser:
            report["layer_figures"] = figure_bench.run(browser)
        from bench import browser as browser_bench

        report["chromium"] = browser_bench.run()
        from bench import load
        from tests.support import streamlit_server

        with streamlit_server() as url:
            report["load_one_process"] = load.run(url)
    except Exception as exc:  # a missing browser must not hide the other figures
        report.setdefault("layer_figures", figure_bench.run(None))
        report["browser_error"] = str(exc).splitlines()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
