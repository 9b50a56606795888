"""The canvas grid's data (headscope/canvas.py): what the browser draws and hovers, exactly."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from headscope import attention, canvas, models, panels, words
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
        shown = _levels(panel, data) / data["levels"] * data["scale"]["hi"]
        np.testing.assert_allclose(shown, att.weights[3, h], atol=0.5 / canvas.LEVELS + 1e-7)
    assert data["rowLabels"] == data["colLabels"] == tuple(panels.token_labels(att.tokens))
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
    # a range names its first and last tokens as the grid labels them (a repeated token with its position)
    assert (
        data["rowLabels"][0] == "0\u20132 [CLS]\u2026word\u00b72"
        and data["rowLabels"][-1] == "510\u2013511 word\u00b7510\u2026[SEP]"
    )
    first = _levels(data["panels"][0], data)[0, 0] / data["levels"]
    assert first == pytest.approx(att.weights[0, 0, :3, :3].max(), abs=1e-4)
    grid = canvas.model_data(att)
    assert len(grid["panels"]) == 72 and grid["clickable"] == "panel" and (grid["rows"], grid["cols"]) == (64, 64)
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
    assert canvas.weights(1.0).levels(matrix).tolist() == [[0, 32767, 65534, 65534], [65535, 0, 0, 16384]]
    assert canvas.weights(2.0).levels(matrix)[0, 2] == 32767
    signed = canvas.diverging(2.0).levels(np.array([[-2.0, 0.0, 2.0, 3.0]], dtype=np.float32))
    assert signed.tolist() == [[0, 32767, 65534, 65534]]  # -bound, zero in the middle, +bound


def test_small_models_get_larger_panels(tmp_path):
    att = attention.run(models.load(str(tiny.make("bert", tmp_path / "bert"))), "a b c")
    data = canvas.model_data(att)
    assert data["columns"] == att.num_heads and data["panelPx"] == panels.model_style(att.num_heads).panel_px > 70


def test_labels_an_svg_file_cannot_hold_are_replaced(bundled):
    att = words.merge(attention.run(bundled, "ab\x01cd \ufffe ok"))  # whole words keep the raw text
    data = canvas.layer_data(att, 0)
    assert "ab\ufffdcd" in data["colLabels"] and "ok" in data["colLabels"]
    assert not [c for label in data["colLabels"] for c in label if ord(c) < 32 or c in "\ufffe\uffff"]
    assert canvas.shown_label("tab\tstays") == "tab\tstays"


def _values(panel: dict, data: dict) -> np.ndarray:
    """A panel's cells as the values the hover shows (NaN where not drawn)."""
    levels = _levels(panel, data).astype(np.float64)
    scale = data["scale"]
    out = scale["lo"] + levels / data["levels"] * (scale["hi"] - scale["lo"])
    out[levels == canvas.HIDDEN] = np.nan
    return out


def test_a_difference_keeps_its_sign_and_names_both_tokens(bundled):
    a = attention.run(bundled, "The black cat sat on the mat.")
    b = attention.run(bundled, "The white dog sat on the rug.")
    data = canvas.difference_data(a, b, 2)
    assert data["scale"]["kind"] == "diverging" and data["scale"]["lo"] == -data["scale"]["hi"]
    diff = a.weights[2] - b.weights[2]
    assert data["scale"]["hi"] == pytest.approx(np.abs(diff).max())
    for h, panel in enumerate(data["panels"]):
        np.testing.assert_allclose(_values(panel, data), diff[h], atol=2 * data["scale"]["hi"] / canvas.LEVELS)
    assert "cat/dog" in data["rowLabels"] and "sat" in data["rowLabels"] and data["format"] == "signed"


def test_signed_pooling_keeps_the_largest_magnitude():
    m = np.array([[0.1, -0.9, 0.2, 0.3], [0.5, 0.0, -0.1, 0.4]], dtype=np.float32)
    np.testing.assert_allclose(panels.pool(m, 2, 2, signed=True), [[-0.9, 0.4]])
    np.testing.assert_allclose(panels.pool(m, 2, 2), [[0.5, 0.4]])
    causal = np.array([[1.0, np.nan], [np.nan, np.nan]], dtype=np.float32)
    assert np.isnan(panels.pool(np.full((2, 2), np.nan, np.float32), 2, 2, signed=True)).all()
    assert panels.pool(causal, 2, 2, signed=True)[0, 0] == 1.0


def test_a_head_opened_large_zooms_into_a_window(bundled):
    att = attention.run(bundled, " ".join(["word"] * 700))  # 512 tokens, cut
    whole = canvas.head_data(att, 1, 2)
    assert whole["zoomable"] and not whole["zoomed"] and whole["full"] == (512, 512)
    window = canvas.clamp_window({"r0": 100, "c0": 200, "r1": 119, "c1": 229}, 512, 512)
    data = canvas.head_data(att, 1, 2, window=window)
    assert (data["rows"], data["cols"], data["first"], data["zoomed"]) == (20, 30, (100, 200), True)
    assert data["ticks"] and data["colTicks"]  # labels come back once they fit
    np.testing.assert_allclose(_values(data["panels"][0], data), att.weights[1, 2, 100:120, 200:230], atol=1e-4)
    # what the browser sends is checked: out of range is cut, nonsense is the whole head
    assert canvas.clamp_window({"r0": -5, "c0": 0, "r1": 9000, "c1": 3}, 512, 512) == (0, 0, 511, 3)
    for bad in (None, [], {"r0": "1"}, {"r0": True, "c0": 0, "r1": 3, "c1": 3}, {"r0": 4, "c0": 4, "r1": 4, "c1": 9}):
        assert canvas.clamp_window(bad, 512, 512) is None


def test_role_grid_is_categorical_and_uncoloured_for_other():
    from headscope import roles

    labels = np.array([["previous token", "other"], ["syntactic", "broad"]])
    values = np.vectorize({r: i for i, r in enumerate(roles.ROLES)}.__getitem__)(labels).astype(np.float32)
    scale = canvas.Scale("role", kind="categorical", categories=tuple((r.name, r.colour) for r in roles.ROLE_TABLE))
    data = canvas.heads_grid(
        values, "roles", scale, text=[["prev", ""], ["syntax", "broad"]], hover=[["a", "b"], ["c", "d"]]
    )
    levels = _levels(data["panels"][0], data)
    assert levels[0, 0] == roles.ROLES.index("previous token") and levels[0, 1] == canvas.HIDDEN
    assert data["clickable"] == "cell" and data["rowLabels"] == ("L0", "L1") and data["colLabels"] == ("H0", "H1")
    rgba = np.frombuffer(base64.b64decode(data["palette"]), dtype=np.uint8).reshape(-1, 4)
    assert len(rgba) == len(roles.ROLES) and rgba[roles.ROLES.index("other"), 3] == 0
    assert data["panels"][0]["hover"] == ["a", "b", "c", "d"]


def test_palettes_run_from_dark_to_bright_and_blue_to_red():
    viridis = panels.colour_table()
    assert len(viridis) == 255 and tuple(viridis[0]) == (0x44, 0x01, 0x54) and tuple(viridis[-1]) == (0xFD, 0xE7, 0x25)
    rgba = canvas.diverging(1.0).rgba()
    assert rgba[0, 2] > rgba[0, 0] and rgba[-1, 0] > rgba[-1, 2] and (rgba[127, :3] > 240).all()
