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


def test_long_text_switches_to_images(loaded):
    att = attention.run(loaded, " ".join(["word"] * 250))  # 252 tokens: not pooled in 280-pixel panels
    assert 12 * att.num_tokens**2 > figures.HEATMAP_CELL_BUDGET
    fig = figures.present_figure(att, 0)
    images = [t for t in fig.data if t.type == "image"]
    assert len(images) == 12 and images[0].source.startswith("data:image/png;base64,")
    size = len(pio.to_json(fig, validate=False))
    assert size < 12 * att.num_tokens**2  # far below a float32 heatmap's 4+ bytes per cell
    head = figures.head_figure(att, 0, 3)  # one head stays a heatmap, with hover
    assert [t.type for t in head.data] == ["heatmap"]


def test_pool_takes_the_maximum_of_each_block():
    m = np.arange(25, dtype=np.float32).reshape(5, 5)
    np.testing.assert_array_equal(figures.pool(m, 2, 2), [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    assert figures.pool(m, 1, 1) is m
    causal = np.where(np.triu(np.ones((4, 4), bool), 1), np.nan, 1.0).astype(np.float32)
    pooled = figures.pool(causal, 2, 2)
    assert np.isnan(pooled[0, 1]) and pooled[1, 0] == 1.0 and pooled[0, 0] == 1.0  # a block of future only stays blank


def test_pooled_labels_name_their_token_range():
    assert figures.pooled_labels(["[CLS]", "a", "<b>", "c", "[SEP]"], 2) == [
        "0\u20131 [CLS]\u2026a", "2\u20133 &lt;b&gt;\u2026c", "4\u20134 [SEP]\u2026[SEP]"]
    assert figures.pooled_labels(["a", "a"], 1) == figures.axis_labels(["a", "a"])


def test_long_text_is_pooled_to_the_panel_and_keeps_hover(loaded):
    """512 tokens: one layer pooled to 171 x 171 cells a head, still heatmaps with hover (issue 7)."""
    att = attention.run(loaded, " ".join(["word"] * 510))
    assert att.num_tokens == 512
    fig = figures.layer_figure(att, 3)
    maps = _heatmaps(fig)
    assert len(maps) == 12 and maps[0].z.shape == (171, 171)
    np.testing.assert_array_equal(maps[4].z, figures.pool(att.weights[3, 4], 3, 3))
    assert maps[0].y[1] == "3\u20135 word\u2026word" and "max %{z:.3f}" in maps[0].hovertemplate
    assert len(pio.to_json(fig, validate=False)) <= 5_000_000


def test_frozen_figure_serialises_once_and_the_same(cat):
    fig = figures.layer_figure(cat, 1)
    expected = pio.to_json(fig, validate=False)
    frozen = figures.freeze(fig)
    assert isinstance(frozen, figures.FrozenFigure) and frozen.to_dict() is frozen.to_dict()
    assert pio.to_json(frozen, validate=False) == expected
    # shared across sessions: to_json pops trace uids in place, so none may be there to pop
    assert all("uid" not in trace for trace in frozen.to_dict()["data"])
    assert pio.to_json(frozen, validate=False) == expected


def test_png_colours_follow_the_scale():
    import base64
    import io

    from PIL import Image

    uri = figures._png_data_uri(np.array([[0.0, 1.0]], dtype=np.float32), 1.0)
    img = np.array(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    lut = figures.colour_table()
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.mode == "P" and img.shape == (1, 2)  # an 8-bit palette PNG
    rgb = np.array(image.convert("RGB"))
    assert (rgb[0, 0] == lut[0]).all() and (rgb[0, 1] == lut[-1]).all()
    hidden = figures._png_data_uri(np.array([[0.5, 1.0]], dtype=np.float32), 1.0, np.array([[False, True]]))
    rgba = np.array(Image.open(io.BytesIO(base64.b64decode(hidden.split(",", 1)[1]))).convert("RGBA"))
    assert rgba[0, 0, 3] == 255 and rgba[0, 1, 3] == 0  # a decoder's future is transparent
