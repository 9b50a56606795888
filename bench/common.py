"""What the benchmarks share: a median timer, the machine's speed, a text of a given length, and what the app sends
for a grid."""

from __future__ import annotations

import json
import statistics
import time

from headscope import attention, canvas


def median_time(fn, repeat: int) -> float:
    """Median wall time of fn() in seconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine_speed_ms(repeat: int = 5) -> float:
    """Median milliseconds of one fixed pure-Python loop on one core: how fast the machine runs now.

    The same commit's figures moved by 2x between hours of one day on a shared machine (other
    tenants, not the load average, which counts this machine's tasks only); two runs compare
    only when this agrees (within about 10%).
    """

    def loop() -> int:
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        return total

    return round(1000 * median_time(loop, repeat), 1)


def text_of(tokens: int) -> str:
    """A text of about `tokens` word pieces (plus [CLS] and [SEP]) for the bundled model."""
    words = "the black cat sat on the mat while a small dog watched it from the door".split()
    return " ".join(words[i % len(words)] for i in range(tokens - 2))


def payloads(loaded) -> dict:
    """Bytes of what the app sends for the one renderer's grids (JSON), at 10 and 512 tokens, and their build time."""
    out = {}
    for tokens in (10, 512):
        att = attention.run(loaded, text_of(tokens))
        n = att.num_tokens
        out[f"layer_grid_bytes_{n}_tokens"] = len(json.dumps(canvas.layer_data(att, 0)))
        out[f"all_layers_grid_bytes_{n}_tokens"] = len(json.dumps(canvas.model_data(att)))
        out[f"one_head_large_bytes_{n}_tokens"] = len(json.dumps(canvas.head_data(att, 0, 0)))
        start = time.perf_counter()
        canvas.layer_data(att, 0), canvas.model_data(att), canvas.head_data(att, 0, 0)
        out[f"build_layer_all_layers_and_head_grids_ms_{n}_tokens"] = round(1000 * (time.perf_counter() - start), 1)
    return out
