"""Inside a head: the recomputed softmax(QK^T/sqrt(d_k))V equals the model's own attention."""

from __future__ import annotations

import numpy as np
import pytest

from headscope import models, qkv
from headscope.errors import UnsupportedModel
from tests import tiny
from tests.conftest import SENTENCE


def _check(parts: qkv.HeadParts) -> None:
    assert parts.max_abs_diff < 1e-5
    np.testing.assert_allclose(parts.inputs @ parts.w_q + parts.b_q, parts.queries, atol=1e-4)
    np.testing.assert_allclose(parts.inputs @ parts.w_k + parts.b_k, parts.keys, atol=1e-4)
    np.testing.assert_allclose(parts.inputs @ parts.w_v + parts.b_v, parts.values, atol=1e-4)
    np.testing.assert_allclose(parts.queries @ parts.keys.T, parts.raw_scores, atol=1e-4)
    np.testing.assert_allclose(parts.raw_scores / parts.scale, parts.scores, atol=1e-5)
    np.testing.assert_allclose(parts.weights @ parts.values, parts.output, atol=1e-5)
    lo = parts.head * parts.d_k
    np.testing.assert_allclose(parts.concat[:, lo : lo + parts.d_k], parts.output, atol=1e-6)
    np.testing.assert_allclose(parts.weights.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("layer, head", [(0, 0), (2, 7), (5, 11)])
def test_bundled_model(loaded, layer, head):
    parts = qkv.take_apart(loaded, SENTENCE, layer, head)
    assert (parts.d_model, parts.d_k, parts.scale) == (384, 32, pytest.approx(32**0.5))
    assert parts.w_q.shape == (384, 32) and parts.queries.shape == (10, 32)
    assert parts.concat.shape == (10, 384) and parts.projected.shape == (10, 384)
    assert parts.mask.all()  # an encoder, one text: no mask
    _check(parts)


@pytest.fixture(scope="module")
def tiny_models(tiny_folders):
    return {family: models.load(str(tiny_folders[family])) for family in tiny.FAMILIES}


@pytest.mark.parametrize("family", tiny.FAMILIES)
def test_every_supported_family(tiny_models, family):
    loaded = tiny_models[family]
    for layer in range(2):
        for head in range(4):
            parts = qkv.take_apart(loaded, "A tiny model reads this.", layer, head)
            _check(parts)
            assert parts.d_k == 8
    if family == "gpt2":
        assert not parts.mask[0, 1] and parts.mask[1, 0]  # causal
        assert np.all(np.triu(parts.weights, 1) == 0)


def test_unsupported_family_says_so(tmp_path):
    folder = tiny.make("xlnet", tmp_path / "xlnet")
    loaded = models.load(str(folder))
    with pytest.raises(UnsupportedModel, match="cannot take apart a xlnet model"):
        qkv.take_apart(loaded, "hello", 0, 0)


def test_bad_layer_or_head(loaded):
    with pytest.raises(ValueError, match="no head L6H0"):
        qkv.take_apart(loaded, SENTENCE, 6, 0)
