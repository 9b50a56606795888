"""The canvas grid's data (headscope/canvas.py): what the browser draws and hovers, exactly."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from headscope import attention, canvas, figures, models, words
from tests import tiny


@pytest.fixture(scope="module")
def bundled():
    return models.load()


def _levels(panel: dict, data: dict) -> np.ndarray:
    """A panel's cells as the browser decodes them: little-endian uint16, rows x cols."""
    raw = np.frombuffer(base64.b64decode(panel["cells"]), dtype="<u2")
    return raw.reshape(data["rows"], data["cols"])


def test_every_cell_carries_the_models_weight(bundled):
    att = attention.run(bundled, "The black cat sat on the mat.")
    data = canvas.layer_data(att, 3)
    assert [p["name"] for p in data["panels"]] == [f"L3H{h}" for h in range(12)]
    assert (data["rows"], data["cols"], data["pooled"], data["ticks"]) == (10, 10, False, True)
    for h, panel in enumerate(data["panels"]):
        shown = _levels(panel, data) / data["levels"] * data["zmax"]
        np.testing.assert_allclose(shown, att.weights[3, h], atol=0.5 / canvas.LEVELS + 1e-7)
    assert data["rowLabels"] == data["colLabels"] == figures.token_labels(att.tokens)
    json.dumps(data)  # sent as JSON


def test_labels_are_plain_text_not_entities(bundled):
    att = attention.run(bundled, "<b>bold</b> & co")
    data = canvas.layer_data(att, 0)
    assert "<\u00b71" in data["colLabels"] and "&" in data["colLabels"]  # the browser sets them as text
    assert not [label for label in data["colLabels"] if "&lt;" in label or "&amp;" in label]


def test_long_texts_are_max_pooled_with_ranges_named(bundled):
    att = attention.run(bundled, " ".join(["word"] * 510))  # 512 tokens
    data = canvas.layer_data(att, 0)
    assert (data["rows"], data["cols"], data["pooled"], data["ticks"]) == (171, 171, True, False)
    assert data["rowLabels"][0] == "0\u20132 [CLS]\u2026word" and data["rowLabels"][-1] == "510\u2013511 word\u2026[SEP]"
    first = _levels(data["panels"][0], data)[0, 0] / data["levels"]
    assert first == pytest.approx(att.weights[0, 0, :3, :3].max(), abs=1e-4)
    grid = canvas.model_data(att)
    assert len(grid["panels"]) == 72 and grid["clickable"] and (grid["rows"], grid["cols"]) == (64, 64)
    # the sizes behind issue 7's targets: hover on every pooled cell within 5 MB, all heads within 3 MB
    assert len(json.dumps(data)) < 1_000_000 and len(json.dumps(grid)) < 900_000


def test_a_decoders_future_is_hidden(tmp_path):
    loaded = models.load(str(tiny.make("gpt2", tmp_path / "gpt2")))
    att = attention.run(loaded, "one two three four")
    data = canvas.layer_data(att, 0)
    cells = _levels(data["panels"][0], data)
    future = np.triu(np.ones(cells.shape, dtype=bool), 1)
    assert (cells[future] == canvas.HIDDEN).all() and (cells[~future] <= canvas.LEVELS).all()


def test_levels_clip_and_round():
    matrix = np.array([[0.0, 0.5, 1.0, 1.7], [np.nan, -0.1, 1e-6, 0.25]], dtype=np.float32)
    assert canvas.cell_levels(matrix, 1.0).tolist() == [[0, 32767, 65534, 65534], [65535, 0, 0, 16384]]
    assert canvas.cell_levels(matrix, 2.0)[0, 2] == 32767


def test_small_models_get_larger_panels(tmp_path):
    att = attention.run(models.load(str(tiny.make("bert", tmp_path / "bert"))), "a b c")
    data = canvas.model_data(att)
    assert data["columns"] == att.num_heads and data["panelPx"] == figures.model_style(att.num_heads).panel_px > 70


def test_labels_an_svg_file_cannot_hold_are_replaced(bundled):
    att = words.merge(attention.run(bundled, "ab\x01cd \ufffe ok"))  # whole words keep the raw text
    data = canvas.layer_data(att, 0)
    assert "ab\ufffdcd" in data["colLabels"] and "ok" in data["colLabels"]
    assert not [c for label in data["colLabels"] for c in label if ord(c) < 32 or c in "\ufffe\uffff"]
    assert canvas.shown_label("tab\tstays") == "tab\tstays"
