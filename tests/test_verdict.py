"""The one verdict rule (headscope.verdict): which heads follow a relation, and which relations are positional."""

from __future__ import annotations

import json

import numpy as np
import pytest

from headscope import verdict
from headscope.syntax import DEPENDENT_TO_HEAD, DIRECTIONS, HEAD_TO_DEPENDENT
from tests.support import headscope

SENTENCES = 200


def _decide(head_hits: np.ndarray, base_hits: np.ndarray, arcs: np.ndarray, relation: str = "nsubj"):
    """decide() for one layer of two heads; head_hits [S, 2] are dependent->head hits of each head."""
    correct = np.zeros((len(arcs), 1, 2, 2), dtype=np.int32)
    correct[:, 0, :, 0] = head_hits
    return verdict.decide(relation, int(arcs.sum()), 1, arcs, correct, base_hits, DIRECTIONS)


def _sentences(seed: int = 0):
    """Per-sentence arcs (1 to 3) and the baseline's hits (about 60%)."""
    rng = np.random.default_rng(seed)
    arcs = rng.integers(1, 4, SENTENCES)
    return rng, arcs, rng.binomial(arcs, 0.6)


def test_a_head_far_above_the_baseline_follows_and_one_equal_to_it_does_not():
    rng, arcs, base = _sentences()
    strong = np.minimum(arcs, base + rng.binomial(arcs - base, 0.8))  # finds most arcs the offset misses
    v = _decide(np.stack([base, strong], axis=1), base, arcs)
    same, better = v.head(0, 0), v.head(0, 1)
    assert (same.margin, same.margin_low, same.margin_high) == (0.0, 0.0, 0.0)  # paired: identical hits, no spread
    assert not same.follows
    assert better.margin_low > verdict.MIN_EFFECT and better.follows
    assert better.margin_low <= better.margin <= better.margin_high
    assert v.verdict == verdict.FOLLOWS and [(h.layer, h.head) for h in v.follows] == [(0, 1)]
    assert v.heads[0] is better  # best margin first


def test_a_small_margin_inside_the_noise_does_not_follow():
    rng, arcs, base = _sentences(1)
    extra = (rng.random(SENTENCES) < 0.03).astype(int)  # a handful of extra hits: about +0.015
    slight = np.minimum(arcs, base + extra)
    v = _decide(np.stack([base, slight], axis=1), base, arcs)
    h = v.head(0, 1)
    assert 0 < h.margin and h.margin_low <= verdict.MIN_EFFECT and not h.follows
    assert v.verdict == verdict.POSITIONAL  # no head follows; the offset finds about 60% of the arcs
    low_base = np.zeros_like(base)
    assert _decide(np.stack([low_base, low_base], axis=1), low_base, arcs).verdict == verdict.NONE


def test_the_interval_is_the_paired_bootstrap_over_sentences():
    """Recomputed here from the resample weights: head and baseline on the same resampled sentences."""
    rng, arcs, base = _sentences(2)
    head = np.minimum(arcs, base + rng.binomial(arcs - base, 0.3))
    v = _decide(np.stack([base, head], axis=1), base, arcs)
    w = verdict.resample_weights(SENTENCES)
    margins = [(wi @ head - wi @ base) / (wi @ arcs) for wi in w]
    low, high = np.percentile(margins, [2.5, 97.5])
    assert v.head(0, 1).margin_low == pytest.approx(low, abs=1e-6)
    assert v.head(0, 1).margin_high == pytest.approx(high, abs=1e-6)
    assert v.head(0, 1).margin == pytest.approx((head.sum() - base.sum()) / arcs.sum(), abs=1e-6)


def test_too_few_arcs_give_a_verdict_of_their_own():
    """Under MIN_ARCS arcs: 'too_few' (too few arcs to tell), not 'none', even for a head that finds every arc."""
    arcs = np.ones(verdict.MIN_ARCS - 1, dtype=int)
    head = arcs.copy()  # every arc found; the baseline finds none
    v = verdict.decide(
        "poss", int(arcs.sum()), 1, arcs, np.stack([head] * 2, -1)[:, None, None, :], np.zeros_like(arcs), DIRECTIONS
    )
    assert v.head(0, 0).margin == 1.0 and v.follows == () and v.verdict == verdict.TOO_FEW
    assert verdict.VERDICT_WORDS[verdict.TOO_FEW] == "too few arcs to tell"
    one_more = np.ones(verdict.MIN_ARCS, dtype=int)
    enough = verdict.decide(
        "poss",
        int(one_more.sum()),
        1,
        one_more,
        np.stack([one_more] * 2, -1)[:, None, None, :],
        np.zeros_like(one_more),
        DIRECTIONS,
    )
    assert enough.verdict == verdict.FOLLOWS


def test_the_verdict_is_per_head_and_direction():
    """A head that finds the arcs reading dependent->head, and no more than the offset the other way round,
    follows the relation in that direction only; each direction has its own interval."""
    rng, arcs, base = _sentences(3)
    strong = np.minimum(arcs, base + rng.binomial(arcs - base, 0.8))
    correct = np.zeros((len(arcs), 1, 1, 2), dtype=np.int32)
    correct[:, 0, 0, 0] = strong  # dependent->head
    correct[:, 0, 0, 1] = base  # head->dependent: exactly the baseline
    v = verdict.decide("nsubj", int(arcs.sum()), 1, arcs, correct, base, DIRECTIONS)
    forward, backward = v.head(0, 0, DEPENDENT_TO_HEAD), v.head(0, 0, HEAD_TO_DEPENDENT)
    assert forward.follows and not backward.follows and backward.margin == 0.0
    assert [(h.layer, h.head, h.direction) for h in v.follows] == [(0, 0, DEPENDENT_TO_HEAD)]
    assert v.head_follows(0, 0) and v.head_follows(0, 0, DEPENDENT_TO_HEAD)
    assert not v.head_follows(0, 0, HEAD_TO_DEPENDENT)
    assert len(v.heads) == 2 and v.head(0, 0) is forward  # no direction: the better one
    w = verdict.resample_weights(len(arcs))  # each direction's interval, recomputed from the resamples
    low = np.percentile([(wi @ base - wi @ base) / (wi @ arcs) for wi in w], 2.5)
    assert backward.margin_low == pytest.approx(low, abs=1e-9)


def test_the_gold_atlas_verdicts(loaded):
    """The bundled model over the default corpus, gold UD English-EWT: the answer the README gives."""
    from headscope import atlas

    a = atlas.shipped(loaded)
    nsubj, amod = a.relations["nsubj"].verdict, a.relations["amod"].verdict
    assert nsubj.verdict == verdict.FOLLOWS and (nsubj.follows[0].layer, nsubj.follows[0].head) == (2, 8)
    assert amod.verdict == verdict.FOLLOWS and amod.baseline_offset == 1
    assert [(h.layer, h.head, h.direction) for h in amod.follows] == [(2, 8, DEPENDENT_TO_HEAD)]
    for ra in a.relations.values():  # the verdict and the atlas's counts agree
        v = ra.verdict
        assert v.count == ra.count and v.baseline_accuracy == pytest.approx(ra.baseline_accuracy)
        assert max(h.accuracy for h in v.heads) == pytest.approx(ra.best()[3], abs=1e-6)
        assert (v.verdict == verdict.TOO_FEW) == (ra.count < verdict.MIN_ARCS)
    assert a.relations["nsubj"].verdict is a.relations["nsubj"].verdict  # computed once
    assert "nsubj" in a.syntactic_relations()[(2, 8)] and "amod" in a.syntactic_relations()[(2, 8)]
    assert any(ra.verdict.verdict == verdict.TOO_FEW for ra in a.relations.values())  # rare relations


def test_cli_atlas_and_syntax_give_the_same_verdict():
    atlas_doc = json.loads(headscope("atlas", "--format", "json").stdout)
    assert atlas_doc["rule"] == verdict.RULE
    nsubj = atlas_doc["relations"]["nsubj"]
    assert nsubj["verdict"] == "follows" and nsubj["follows"]
    for entry in nsubj["follows"]:
        assert set(entry) == {"layer", "head", "direction", "accuracy", "margin", "margin_low", "margin_high"}
        assert entry["margin_low"] > verdict.MIN_EFFECT
    assert atlas_doc["relations"]["amod"]["verdict"] == "follows"
    following = {
        r: {(h["layer"], h["head"], h["direction"]) for h in doc["follows"]}
        for r, doc in atlas_doc["relations"].items()
    }

    result = headscope("syntax", "The keys to the old cabinet are on the table.", "--format", "json")
    syntax_doc = json.loads(result.stdout)
    for relation, doc in syntax_doc["relations"].items():
        for h in doc["heads"]:
            assert h["follows"] == ((h["layer"], h["head"], h["direction"]) in following[relation]), (relation, h)
            assert h["positional"] in (None, "previous", "same", "next")
    l0h2 = next(h for h in syntax_doc["relations"]["amod"]["heads"] if (h["layer"], h["head"]) == (0, 2))
    assert l0h2["positional"] == "previous" and not l0h2["follows"]
    text = headscope("syntax", "The keys to the old cabinet are on the table.").stdout
    assert "nsubj: over the corpus, followed by L2H8 dependent->head" in text and "in this sentence" in text
    assert "amod: over the corpus, followed by L2H8 dependent->head" in text
    assert "keys -> are: L2H8 misses it (top word 'to'" in text
