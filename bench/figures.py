"""Payload size, build time and draw time of heatmap grids, heatmaps vs PNG images.

This is the measurement behind headscope.figures.HEATMAP_CELL_BUDGET.
"""

from __future__ import annotations

import statistics
import time

import plotly.io as pio

from headscope import attention, figures, models


def median_time(fn, repeat: int) -> float:
    """Median wall time of fn() in seconds over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def text_of(tokens: int) -> str:
    """A text of about `tokens` word pieces (plus [CLS] and [SEP]) for the bundled model."""
    words = "the black cat sat on the mat while a small dog watched it from the door".split()
    return " ".join(words[i % len(words)] for i in range(tokens - 2))


def forced(budget: int):
    """A layer style that switches to images above `budget` cells."""
    from dataclasses import replace

    return replace(figures.LAYER_STYLE, cell_budget=budget)


def draw_ms(browser, fig, expected: int, repeat: int) -> float:
    """Median ms for Chromium to draw a figure from JSON (plotly.js inlined, no network)."""
    from plotly.offline import get_plotlyjs

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_content(f"<html><body><script>{get_plotlyjs()}</script><div id=g></div></body></html>")
    spec = pio.to_json(fig, validate=False)
    times = []
    for i in range(repeat + 1):  # the first draw warms plotly.js up and is not counted
        ms = page.evaluate(
            """([spec, expected]) => new Promise(resolve => {
                 Plotly.purge('g');
                 const t0 = performance.now();
                 const f = JSON.parse(spec);
                 Plotly.newPlot('g', f.data, f.layout).then(() => {
                   const done = () => document.querySelectorAll('g.hm image, g.imagelayer image, .im image').length >= expected;
                   const wait = () => done() ? requestAnimationFrame(() => resolve(performance.now() - t0)) : setTimeout(wait, 5);
                   wait();
                 });
               })""",
            [spec, expected],
        )
        if i:
            times.append(ms)
    page.close()
    return statistics.median(times)


def run(browser=None, repeat: int = 3) -> dict:
    """Figures for a layer of 12 heads at several lengths, as heatmaps and as images."""
    loaded = models.load()
    out: dict = {}
    for tokens in (10, 64, 128, 144, 200, 256, 512):
        att = attention.run(loaded, text_of(tokens))
        row: dict = {"tokens": att.num_tokens, "cells": 12 * att.num_tokens**2}
        for mode, budget in (("heatmap", 10**9), ("image", 0)):
            if mode == "heatmap" and tokens > 256:
                continue  # 512 tokens as float32 heatmaps: 12.6 MB for one layer; not a candidate
            style = forced(budget)
            fig = figures.grid_figure(att, [(0, h) for h in range(12)], style)
            row[f"{mode}_bytes"] = len(pio.to_json(fig, validate=False))
            row[f"{mode}_build_ms"] = round(
                1000 * median_time(lambda: pio.to_json(figures.grid_figure(att, [(0, h) for h in range(12)], style), validate=False), repeat), 1
            )
            if browser is not None:
                row[f"{mode}_draw_ms"] = round(draw_ms(browser, fig, 12, repeat), 1)
        out[str(tokens)] = row
    return out


def payloads(loaded) -> dict:
    """Bytes of what the app sends, at 10 and 512 tokens: the Heads page's canvas grids (JSON)
    and the plotly figures of a layer (Compare, the report) and of one head (plotly JSON)."""
    import json

    from headscope import canvas

    out = {}
    for tokens in (10, 512):
        att = attention.run(loaded, text_of(tokens))
        n = att.num_tokens
        out[f"layer_grid_bytes_{n}_tokens"] = len(json.dumps(canvas.layer_data(att, 0)))
        out[f"all_layers_grid_bytes_{n}_tokens"] = len(json.dumps(canvas.model_data(att)))
        out[f"layer_figure_bytes_{n}_tokens"] = len(pio.to_json(figures.layer_figure(att, 0), validate=False))
        out[f"one_head_figure_bytes_{n}_tokens"] = len(pio.to_json(figures.head_figure(att, 0, 0), validate=False))
        start = time.perf_counter()
        canvas.layer_data(att, 0), canvas.model_data(att)
        out[f"build_layer_and_all_layers_grids_ms_{n}_tokens"] = round(1000 * (time.perf_counter() - start), 1)
    return out
