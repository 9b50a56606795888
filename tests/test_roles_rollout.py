"""Head statistics and roles, and attention rollout, against hand-computed values."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from headscope import roles, rollout
from headscope.attention import Attention, Axis


def _hand_attention() -> Attention:
    """[CLS] a , b [SEP]: 1 layer, 3 hand-written heads."""
    text = "a , b"
    w = np.zeros((1, 3, 5, 5), dtype=np.float32)
    # head 0: every real token looks at the previous token
    w[0, 0] = [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]
    # head 1: uniform
    w[0, 1] = 0.2
    # head 2: real tokens put 0.6 on [CLS] and 0.4 on ","
    w[0, 2] = [[1, 0, 0, 0, 0], [0.6, 0, 0.4, 0, 0], [0.6, 0, 0.4, 0, 0], [0.6, 0, 0.4, 0, 0], [1, 0, 0, 0, 0]]
    axis = Axis(
        ("[CLS]", "a", ",", "b", "[SEP]"),
        text,
        ((0, 0), (0, 1), (2, 3), (4, 5), (0, 0)),
        (True, False, False, False, True),
    )
    return Attention(model="hand", rows=axis, columns=axis, weights=w)


def test_stats_by_hand():
    s = roles.head_stats(_hand_attention())
    # rows counted: a, ",", b (positions 1..3)
    assert s.previous[0, 0] == pytest.approx(1.0)
    assert s.special[0, 0] == pytest.approx(1 / 3)  # only "a" looks at [CLS]
    assert s.punctuation[0, 0] == pytest.approx(1 / 3)  # only "b" looks at ","
    assert s.distance[0, 0] == pytest.approx(1.0)
    assert s.entropy[0, 0] == pytest.approx(0.0)
    assert s.confidence[0, 0] == pytest.approx(1.0)
    assert s.entropy[0, 1] == pytest.approx(np.log(5))
    assert s.entropy_ratio[0, 1] == pytest.approx(1.0)
    assert s.same[0, 1] == pytest.approx(0.2) and s.next[0, 1] == pytest.approx(0.2)
    assert s.distance[0, 1] == pytest.approx(
        (0.2 * (1 + 0 + 1 + 2 + 3) + 0.2 * (2 + 1 + 0 + 1 + 2) + 0.2 * (3 + 2 + 1 + 0 + 1)) / 3
    )
    assert s.special[0, 2] == pytest.approx(0.6) and s.punctuation[0, 2] == pytest.approx(0.4)
    ent = -(0.6 * np.log(0.6) + 0.4 * np.log(0.4))
    assert s.entropy[0, 2] == pytest.approx(ent)
    assert s.confidence[0, 2] == pytest.approx(0.6)


def test_labels_follow_the_thresholds_in_order():
    att = _hand_attention()
    s = roles.head_stats(att)
    assert list(roles.labels(s)[0]) == ["previous token", "broad", "no-op (special tokens)"]
    # a head marked syntactic by the atlas keeps a positional label first
    assert roles.label(s, 0, 0, frozenset({(0, 0)})) == "previous token"
    assert roles.label(s, 0, 1, frozenset({(0, 1)})) == "syntactic"
    punct = replace(att, weights=att.weights[:, [2]].copy())
    punct.weights[0, 0, 1:4] = [[0.3, 0, 0.7, 0, 0]] * 3
    assert roles.labels(roles.head_stats(punct))[0, 0] == "punctuation"


def test_punctuation_tokens():
    assert roles.is_punctuation(",") and roles.is_punctuation("\u201c") and roles.is_punctuation("...")
    assert not roles.is_punctuation("a") and not roles.is_punctuation("") and not roles.is_punctuation("$")


def test_causal_entropy_uses_visible_keys():
    att = _hand_attention()
    w = np.zeros((1, 1, 5, 5), dtype=np.float32)
    for q in range(5):
        w[0, 0, q, : q + 1] = 1 / (q + 1)  # uniform over what a decoder may see
    s = roles.head_stats(replace(att, weights=w), causal=True)
    assert s.entropy_ratio[0, 0] == pytest.approx(1.0)
    # with no special tokens, row 0 sees one key: it has no choice and is left out of the ratio
    no_special = att.rows._replace(special=(False,) * 5)
    plain = replace(att, weights=w, rows=no_special, columns=no_special, causal=True)
    assert roles.head_stats(plain).entropy_ratio[0, 0] == pytest.approx(1.0)


def test_rollout_by_hand():
    # 2 layers, 1 head, 3 tokens
    a0 = np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 1, 0]], dtype=np.float32)
    a1 = np.array([[0, 0, 1], [1, 0, 0], [0, 0.5, 0.5]], dtype=np.float32)
    w = np.stack([a0, a1])[:, None]
    # 0.5 A + 0.5 I, rows already sum to 1
    m0 = np.array([[1, 0, 0], [0.25, 0.75, 0], [0, 0.5, 0.5]])
    m1 = np.array([[0.5, 0, 0.5], [0.5, 0.5, 0], [0, 0.25, 0.75]])
    np.testing.assert_allclose(rollout.layer_matrices(w), [m0, m1])
    r = rollout.rollout(w)
    np.testing.assert_allclose(r[0], m0, atol=1e-7)
    expected = np.array([[0.5, 0.25, 0.25], [0.625, 0.375, 0.0], [0.0625, 0.5625, 0.375]])
    np.testing.assert_allclose(r[1], expected, atol=1e-7)
    np.testing.assert_allclose(r.sum(-1), 1.0, atol=1e-6)


def test_rollout_averages_heads(cat):
    r = rollout.rollout(cat.weights)
    assert r.shape == (6, 10, 10)
    np.testing.assert_allclose(r.sum(-1), 1.0, atol=1e-5)
    one = rollout.layer_matrices(cat.weights[:1])[0]
    np.testing.assert_allclose(r[0], one, atol=1e-6)
