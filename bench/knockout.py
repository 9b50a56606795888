"""Heads switched off: the importance grid (72 knockouts in one batch) and a knockout view's server time.

`python bench/knockout.py` prints JSON; `make bench` includes it as "knockout". Never fails on a number.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_time  # noqa: E402
from headscope import canvas, knockout, models, syntax  # noqa: E402

TEXT = "The black cats sat on the mat."
"""10 word pieces with [CLS] and [SEP] on the bundled model."""


def view(loaded, text: str, heads, nlp) -> None:
    """What the knockout view computes on the server: both runs, the arcs, and both grids of every layer serialised."""
    k = knockout.knockout(loaded, text, heads, parse=syntax.parse(text, nlp))
    json.dumps(canvas.model_data(k.intact))
    json.dumps(canvas.model_data(k.knocked_out))


def run(loaded=None, repeat: int = 7) -> dict:
    """The figures with torch's default threads, and with one thread.

    On a machine whose cores are busy with other work, torch's threads wait for each other
    (a 10-token pass went from 40 ms to 1.2 s at a load average of 7 on 2 cores): the
    one-thread figures show the work itself.
    """
    import torch

    loaded = loaded or models.load()
    threads = torch.get_num_threads()
    result = {"torch_threads": threads, **_measure(loaded, repeat)}
    torch.set_num_threads(1)
    try:
        result["one_thread"] = _measure(loaded, repeat)
    finally:
        torch.set_num_threads(threads)
    return result


def _measure(loaded, repeat: int) -> dict:
    """Median seconds of the importance grid and milliseconds of a knockout view (the first of each not counted)."""
    tokens = knockout.token_count(loaded, TEXT)
    knockout.importance(loaded, TEXT)  # warm
    load_before = os.getloadavg()[0]
    cpu = time.process_time()
    importance_s = median_time(lambda: knockout.importance(loaded, TEXT), repeat)
    importance_cpu_s = (time.process_time() - cpu) / repeat
    nlp = syntax.load_parser()
    view(loaded, TEXT, [(0, 0)], nlp)  # the first view: parser and model warm afterwards
    times = []
    for i in range(repeat * 3):  # a different head each time: nothing is reused
        layer, head = divmod(i % (loaded.num_layers * loaded.num_heads), loaded.num_heads)
        start = time.perf_counter()
        view(loaded, TEXT, [(layer, head)], nlp)
        times.append(time.perf_counter() - start)
    return {
        "tokens": tokens,
        "knockouts": loaded.num_layers * loaded.num_heads,
        "importance_grid_s": round(importance_s, 3),
        "importance_grid_cpu_s": round(importance_cpu_s, 3),  # this process's CPU time (both threads), mean
        "knockout_view_server_ms": round(1000 * statistics.median(times), 1),
        "repeats": repeat,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # other work on the machine
    }


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(json.dumps({"cores": os.cpu_count(), "knockout": run()}, indent=2))
