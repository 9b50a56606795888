"""Inside a head and Rollout draw from the shared results cache: what it hands out equals a fresh computation.

The real bundled model; the app's own cached functions (components/cached.py), called in this process as
the pages call them.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from components import cached
from components.state import Settings
from headscope import canvas, qkv, rollout
from headscope.models import BUNDLED_ID

TEXT = "The black cat sat on the mat."
OTHER = "A dog barked at the mail carrier."


def _json(data) -> str:
    """What the browser receives (tuples and lists alike are arrays)."""
    return json.dumps(data, sort_keys=True)


def _values(grid: dict) -> np.ndarray:
    """A one-panel grid's cells as values again (levels over its scale)."""
    levels = np.frombuffer(base64.b64decode(grid["panels"][0]["cells"]), dtype="<u2").reshape(
        grid["rows"], grid["cols"]
    )
    lo, hi = grid["scale"]["lo"], grid["scale"]["hi"]
    return lo + levels / grid["levels"] * (hi - lo)


@pytest.fixture(scope="module")
def model():
    return cached.loaded_model(BUNDLED_ID)


@pytest.mark.parametrize("text, layer, head", [(TEXT, 3, 5), (TEXT, 0, 0), (OTHER, 3, 5)])
def test_inside_grids_from_the_cache_equal_a_fresh_computation(model, text, layer, head):
    fresh = canvas.head_steps(qkv.take_apart(model, text, layer, head))
    first = cached.inside_canvas(BUNDLED_ID, text, layer, head)
    assert list(first) == ["inputs", "Q", "K", "V", "raw", "scaled", "mask", "weights", "output", "concat", "projected"]
    assert _json(first) == _json(fresh)
    # a session that changes what it was handed changes nothing for the next one
    first["weights"]["panels"][0]["name"] = "changed"
    first.pop("Q")
    again = cached.inside_canvas(BUNDLED_ID, text, layer, head)
    assert _json(again) == _json(fresh)


def test_inside_grids_hold_this_heads_numbers(model):
    parts = qkv.take_apart(model, TEXT, 3, 5)
    steps = cached.inside_canvas(BUNDLED_ID, TEXT, 3, 5)
    for key, matrix in (("weights", parts.weights), ("Q", parts.queries), ("scaled", parts.scores)):
        span = steps[key]["scale"]["hi"] - steps[key]["scale"]["lo"]
        np.testing.assert_allclose(_values(steps[key]), matrix, atol=span / canvas.LEVELS)
    assert steps["Q"]["scale"]["kind"] == "diverging" and steps["weights"]["scale"]["kind"] == "sequential"
    # titles short enough for a column at 1024 px (the page's caption says the rest)
    assert [steps[k]["panels"][0]["name"] for k in ("mask", "weights")] == ["mask: all allowed", "softmax: the weights"]
    # another head, another text: other numbers (the cache keys them apart)
    assert _json(cached.inside_canvas(BUNDLED_ID, TEXT, 3, 6)) != _json(steps)
    assert _json(cached.inside_canvas(BUNDLED_ID, OTHER, 3, 5)) != _json(steps)


@pytest.mark.parametrize("query", [0, 3])
def test_query_bars_from_the_cache_are_this_querys_scores_and_weights(model, query):
    parts = qkv.take_apart(model, TEXT, 2, 8)
    fig = cached.query_bars(BUNDLED_ID, TEXT, 2, 8, query)
    assert cached.query_bars(BUNDLED_ID, TEXT, 2, 8, query) is fig  # built once, shared as it is
    scores, weights = fig.data
    np.testing.assert_allclose(scores.y, parts.scores[query], rtol=1e-6)
    np.testing.assert_allclose(weights.y, parts.weights[query], rtol=1e-6)
    assert list(scores.x) == ["[CLS]", "the\u00b71", "black", "cat", "sat", "on", "the\u00b76", "mat", ".", "[SEP]"]


@pytest.mark.parametrize("whole_words", [False, True])
def test_rollout_grids_and_bars_from_the_cache_equal_a_fresh_computation(model, whole_words):
    s = Settings(BUNDLED_ID, TEXT, whole_words=whole_words, hide_special=False)
    raw, rolled = cached.attention_view(s), cached.rollout_view(s)
    for layer in (0, 5):
        grids = cached.rollout_canvas(s, layer)
        assert _json(grids) == _json(canvas.rollout_data(raw, rolled, layer))
        assert grids["raw"]["panels"][0]["name"] == f"layer {layer} alone, heads averaged"  # fits 1024 px
        np.testing.assert_allclose(_values(grids["raw"]), raw.weights[layer].mean(0), atol=1 / canvas.LEVELS)
    att = cached.raw_attention(BUNDLED_ID, TEXT)
    by_hand = rollout.rollout(att.weights)[5]  # pieces: the rolled-out matrix as computed, before any merging
    if not whole_words:
        np.testing.assert_allclose(_values(cached.rollout_canvas(s, 5)["rolled"]), by_hand, atol=1 / canvas.LEVELS)
    fig = cached.rollout_bars(s, 5, 2)
    np.testing.assert_allclose(fig.data[0].y, rolled.weights[5, 0, 2], rtol=1e-6)
    np.testing.assert_allclose(fig.data[1].y, raw.weights[5, :, 2].mean(0), rtol=1e-6)
