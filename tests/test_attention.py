"""The attention engine on the real bundled model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from headscope import attention, models
from headscope.attention import Axis, InputError, clean_token
from tests.conftest import SENTENCE


def test_bundled_model_facts(loaded):
    assert loaded.name == models.BUNDLED_ID
    assert (loaded.num_layers, loaded.num_heads, loaded.max_tokens) == (6, 12, 512)
    assert loaded.model.config._attn_implementation == "eager"


def test_shape_tokens_and_offsets(cat):
    assert cat.weights.shape == (6, 12, 10, 10)
    assert cat.weights.dtype == np.float32
    assert cat.tokens == ("[CLS]", "the", "black", "cat", "sat", "on", "the", "mat", ".", "[SEP]")
    assert cat.special == (True,) + (False,) * 8 + (True,)
    assert [SENTENCE[a:b] for a, b in cat.offsets[1:-1]] == ["The", "black", "cat", "sat", "on", "the", "mat", "."]
    assert cat.dropped == 0 and cat.level == "pieces"


def test_rows_sum_to_one(cat):
    np.testing.assert_allclose(cat.weights.sum(axis=-1), 1.0, atol=1e-5)
    assert (cat.weights >= 0).all()


def test_equals_a_direct_transformers_call(loaded, cat):
    from transformers import AutoModel, AutoTokenizer

    path = models.bundled_path()
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, attn_implementation="eager").eval()

    def direct(**padding):
        enc = tok(SENTENCE, return_tensors="pt", **padding)
        with torch.no_grad():
            out = model(**enc, output_attentions=True)
        n = cat.num_tokens
        return np.stack([a[0, :, :n, :n].numpy() for a in out.attentions])

    # the engine pads every pass to a multiple of 8 (so a batch changes no number): the same call, float for float
    padded = direct(padding=True, pad_to_multiple_of=attention.PAD_MULTIPLE)
    assert cat.num_tokens % attention.PAD_MULTIPLE and np.array_equal(cat.weights, padded)
    np.testing.assert_allclose(cat.weights, direct(), rtol=0, atol=1e-5)  # unpadded: float noise apart


def test_deterministic(loaded, cat):
    again = attention.run(loaded, SENTENCE)
    assert np.array_equal(again.weights, cat.weights)


def test_truncation_counts_dropped_tokens(loaded):
    text = " ".join(["cat"] * 600)  # 600 pieces + [CLS] + [SEP]
    att = attention.run(loaded, text)
    assert att.num_tokens == 512
    assert att.dropped == 602 - 512
    assert att.tokens[0] == "[CLS]" and att.tokens[-1] == "[SEP]"
    np.testing.assert_allclose(att.weights.sum(axis=-1), 1.0, atol=1e-5)


def test_short_text_is_not_truncated(split):
    assert split.dropped == 0


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_refused(loaded, text):
    with pytest.raises(InputError, match="empty"):
        attention.run(loaded, text)


def test_without_special_drops_and_renormalises(cat):
    plain = attention.without_special(cat)
    assert plain.tokens == cat.tokens[1:-1]
    assert plain.weights.shape == (6, 12, 8, 8)
    np.testing.assert_allclose(plain.weights.sum(axis=-1), 1.0, atol=1e-5)
    inner = cat.weights[:, :, 1:-1, 1:-1]
    np.testing.assert_allclose(plain.weights, inner / inner.sum(-1, keepdims=True), atol=1e-6)
    assert not any(plain.special)


def test_without_special_on_a_hand_example(cat):
    from dataclasses import replace

    weights = np.array([[[[0.5, 0.25, 0.25], [0.6, 0.1, 0.3], [1.0, 0.0, 0.0]]]], dtype=np.float32)
    axis = Axis(("[CLS]", "a", "b"), cat.text, ((0, 0), (0, 1), (2, 3)), (True, False, False))
    att = replace(cat, rows=axis, columns=axis, weights=weights)
    plain = attention.without_special(att)
    # a: 0.1, 0.3 -> 0.25, 0.75; b: all on [CLS] -> nothing left, stays 0
    np.testing.assert_allclose(plain.weights[0, 0], [[0.25, 0.75], [0.0, 0.0]], atol=1e-7)


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("##ing", "##ing"),
        ("\u0120cat", "cat"),
        ("\u2581cat", "cat"),
        ("\u0120", "\u0120"),
        ("[CLS]", "[CLS]"),
        ("\u010a", "\\n"),
    ],
)
def test_clean_token(raw, shown):
    assert clean_token(raw) == shown


def test_text_over_the_character_cap_is_refused_before_tokenizing(loaded):
    with pytest.raises(InputError, match="has 20,001 characters; the limit is 20,000"):
        attention.run(loaded, "a" * 20_001)
    assert attention.run(loaded, "a " * 9_999).dropped > 0  # just under the cap: truncated, not refused


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "...!?",
        "\U0001f600\U0001f63a",
        "a\x00b c",
        "zero\u200bwidth",
        "\u05e9\u05dc\u05d5\u05dd world",
        "\u00e9\u0301",
    ],
)
def test_odd_texts_run(loaded, text):
    att = attention.run(loaded, text)
    np.testing.assert_allclose(att.weights.sum(-1), 1.0, atol=1e-5)
