"""Heatmap grid figures: panels, titles, axes, typed arrays, image mode, click targets."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio

from headscope import attention, figures


def _heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def test_axis_labels_keep_duplicates_apart():
    assert figures.axis_labels(["[CLS]", "the", "cat", "the"]) == ["[CLS]", "the\u00b71", "cat", "the\u00b73"]


def test_layer_figure_has_one_heatmap_per_head(cat):
    fig = figures.layer_figure(cat, 2)
    maps = _heatmaps(fig)
    assert len(maps) == 12
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [f"<b>L2H{h}</b>" for h in range(12)]
    assert list(maps[0].x) == figures.axis_labels(cat.tokens)
    np.testing.assert_array_equal(maps[5].z, cat.weights[2, 5])
    assert all(m.coloraxis == "coloraxis" for m in maps)  # one shared colour scale
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)
    assert "\u2192" in maps[0].hovertemplate and "%{z" in maps[0].hovertemplate
    assert fig.layout.yaxis.title.text == "attends from"
    assert fig.layout.yaxis.autorange == "reversed"  # first token on top
    assert {fig.layout[f"xaxis{k}"].title.text for k in (9, 10, 11, 12)} == {"attends to"}


def test_heatmaps_travel_as_float32_typed_arrays(cat):
    spec = json.loads(pio.to_json(figures.layer_figure(cat, 0), validate=False))
    z = spec["data"][0]["z"]
    assert z["dtype"] == "f4" and z["shape"] in ("10, 10", [10, 10])


def test_model_figure_has_every_head_and_click_targets(cat):
    fig = figures.model_figure(cat)
    maps = _heatmaps(fig)
    assert len(maps) == 72
    scatters = [t for t in fig.data if t.type == "scatter"]
    assert len(scatters) == 72
    # one click target per cell for short texts, each naming its head and cell
    assert len(scatters[13].x) == 100
    assert list(scatters[13].customdata[0]) == [1, 1, 0, 0]
    assert all(m.hoverinfo == "skip" for m in maps)  # hover comes from the click layer


def test_long_text_switches_to_images(loaded):
    att = attention.run(loaded, " ".join(["word"] * 200))  # 202 tokens
    assert 12 * att.num_tokens**2 > figures.HEATMAP_CELL_BUDGET
    fig = figures.layer_figure(att, 0)
    images = [t for t in fig.data if t.type == "image"]
    assert len(images) == 12 and images[0].source.startswith("data:image/png;base64,")
    size = len(pio.to_json(fig, validate=False))
    assert size < 12 * att.num_tokens**2  # far below a float32 heatmap's 4+ bytes per cell
    head = figures.head_figure(att, 0, 3)  # one head stays a heatmap, with hover
    assert [t.type for t in head.data] == ["heatmap"]


def test_png_colours_follow_the_scale():
    import base64
    import io

    from PIL import Image

    uri = figures._png_data_uri(np.array([[0.0, 1.0]], dtype=np.float32), 1.0)
    img = np.array(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    lut = figures._colour_table()
    assert img.shape == (1, 2, 3)
    assert (img[0, 0] == lut[0]).all() and (img[0, 1] == lut[255]).all()
