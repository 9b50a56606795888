"""`make bench`: run the benchmarks and print one JSON document. Never fails on a number."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import syntax as syntax_bench  # noqa: E402
from bench.common import machine_speed_ms, median_time, payloads, text_of  # noqa: E402
from headscope import attention, models  # noqa: E402


def engine(repeat: int = 7) -> dict:
    """Model load time and warm forward pass time at several lengths."""
    start = time.perf_counter()
    loaded = models.load()
    result = {"model_load_s": round(time.perf_counter() - start, 2)}
    for tokens in (10, 128, 512):
        text = text_of(tokens)
        attention.run(loaded, text)  # warm
        result[f"forward_ms_{tokens}_tokens"] = round(
            1000 * median_time(lambda text=text: attention.run(loaded, text), repeat), 1
        )
    result["new_sentence_heads_page_server_ms"] = round(1000 * _new_sentence_s(loaded, repeat * 3), 1)
    return result


def _new_sentence_s(loaded, count: int) -> float:
    """Median seconds for a sentence never seen before, as the Heads page serves it: forward
    pass, syntax scores, the layer's canvas grid built and serialised (10 tokens, warm model)."""
    import json

    from headscope import canvas, syntax

    nlp = syntax.load_parser()
    times = []
    for i in range(count):
        text = f"The {i} black cats sat on mat {i}."  # 10 word pieces with [CLS] and [SEP]
        start = time.perf_counter()
        att = attention.run(loaded, text)
        syntax.score_sentence(att, syntax.parse(text, nlp))
        json.dumps(canvas.layer_data(att, 0))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _guarded(fn) -> dict:
    """A section's figures, or the one-line reason it could not run (make bench never fails)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report: dict = {"cores": os.cpu_count(), "machine_speed_ms": machine_speed_ms(), "engine": engine()}
    loaded = models.load()
    report["syntax"] = syntax_bench.run(loaded)
    from bench import knockout as knockout_bench

    report["knockout"] = _guarded(lambda: knockout_bench.run(loaded))
    from bench import heavy as heavy_bench

    # issue 28: the CLI knockout of a 450-word text, and a class of 20 beside one user's long-text knockout
    report["knockout_cli_450_words"] = _guarded(heavy_bench.cli_knockout)
    report["knockout_beside_a_class"] = _guarded(heavy_bench.run)
    report["payloads"] = payloads(loaded)
    try:
        from bench import browser as browser_bench

        report["chromium"] = browser_bench.run()
        from bench import load
        from tests.support import streamlit_server

        with streamlit_server() as url:
            report["load_one_process"] = load.run(url)
    except Exception as exc:  # a missing browser must not hide the other figures
        report["browser_error"] = str(exc).splitlines()[0]
    from bench import pages

    per_page = _guarded(
        pages.run
    )  # every page: fresh tab and 30 users (`python -m bench.pages --from` makes the table)
    report.update(per_page if "error" not in per_page else {"pages": per_page})
    from bench import memory, replicas

    report["load_two_replicas_nginx"] = _guarded(replicas.run)
    from bench import quiz

    # issue 29: 30 students on Guess the head's shared link, 2 turns each (open, pick, commit, reveal)
    report["quiz_class"] = _guarded(quiz.run)

    report["memory"] = _guarded(memory.run)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
