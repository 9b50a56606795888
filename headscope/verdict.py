"""The one rule that says whether a head follows a relation, or whether the relation is positional.

A head *follows* a relation when, over a corpus, its accuracy (Clark et al. 2019, section
4.2: the word it attends to most is the arc's other end) beats the best fixed offset's
accuracy by a margin whose 95% interval lies above MIN_EFFECT. The interval is a paired
bootstrap over sentences: each resample draws sentences with replacement and scores the
head and the baseline on the same arcs (Efron & Tibshirani 1993, percentile interval;
resampling whole sentences, not arcs, because arcs of one sentence are not independent,
as in Berg-Kirkpatrick et al. 2012). The verdict is per (head, direction): a head may follow
a relation reading from the dependent to its head and not the other way. A relation with
fewer than MIN_ARCS arcs over the corpus is *too_few* (too few arcs to tell); otherwise one
no head follows is *positional* when its fixed offset already finds at least POSITIONAL_MIN
of its arcs, else *none*. One sentence is evidence, never a verdict: nothing here reads one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

MIN_EFFECT = 0.02
"""The smallest margin over the fixed-offset baseline that counts as following: 2 accuracy points,
about what a change of parser or corpus conversion moves a head's accuracy (README, "The answer")."""
CONFIDENCE = 0.95
"""The bootstrap interval's coverage."""
MIN_ARCS = 50
"""Fewer arcs than this over the corpus: the verdict is TOO_FEW (too few to tell a head from chance)."""
POSITIONAL_MIN = 0.5
"""A relation no head follows is 'positional' when its best fixed offset finds this share of its arcs."""
RESAMPLES = 1000
SEED = 2019
"""The bootstrap's resamples and seed: the same corpus gives the same verdict."""

FOLLOWS, POSITIONAL, NONE, TOO_FEW = "follows", "positional", "none", "too_few"
VERDICTS = (FOLLOWS, POSITIONAL, NONE, TOO_FEW)
VERDICT_WORDS = {
    FOLLOWS: "followed by a head",
    POSITIONAL: "positional",
    NONE: "no head follows it",
    TOO_FEW: "too few arcs to tell",
}
"""Each verdict in words, for tables and the CLI's text."""

RULE = (
    f"A head follows a relation when, over the corpus, its accuracy beats the best fixed offset's "
    f"by more than {MIN_EFFECT:.2f} with {CONFIDENCE:.0%} confidence (paired bootstrap over sentences, "
    f"{RESAMPLES} resamples), in one direction (dependent to head, or head to dependent). A relation with "
    f"fewer than {MIN_ARCS} arcs has too few to tell. A relation no head follows is positional when a fixed "
    f"offset finds {POSITIONAL_MIN:.0%} or more of its arcs. Method: Clark et al. 2019."
)
"""The rule in words, for every page, the report and the CLI's text output."""


@dataclass(frozen=True)
class HeadVerdict:
    """One head in one direction on one relation: its accuracy, its margin over the baseline with the interval."""

    layer: int
    head: int
    direction: str
    accuracy: float
    margin: float
    margin_low: float
    margin_high: float

    @property
    def follows(self) -> bool:
        """True when the whole interval lies above the minimum effect."""
        return self.margin_low > MIN_EFFECT

    def as_json(self) -> dict:
        """The CLI's `follows` entry."""
        return {
            "layer": self.layer,
            "head": self.head,
            "direction": self.direction,
            "accuracy": self.accuracy,
            "margin": self.margin,
            "margin_low": self.margin_low,
            "margin_high": self.margin_high,
        }


@dataclass(frozen=True)
class RelationVerdict:
    """One relation over a corpus: every (head, direction)'s verdict (best margin first) and the relation's."""

    relation: str
    count: int
    baseline_offset: int
    baseline_accuracy: float
    heads: tuple[HeadVerdict, ...]
    verdict: str

    @property
    def follows(self) -> tuple[HeadVerdict, ...]:
        """The (head, direction) pairs that follow the relation, best first."""
        return tuple(h for h in self.heads if h.follows) if self.count >= MIN_ARCS else ()

    def head(self, layer: int, head: int, direction: str | None = None) -> HeadVerdict:
        """The verdict of one head in a direction (None: its better direction)."""
        return next(h for h in self.heads if (h.layer, h.head) == (layer, head) and direction in (None, h.direction))

    def head_follows(self, layer: int, head: int, direction: str | None = None) -> bool:
        """True when that head follows the relation in that direction (None: in either)."""
        return any((h.layer, h.head) == (layer, head) and direction in (None, h.direction) for h in self.follows)

    def following_heads(self) -> tuple[tuple[int, int], ...]:
        """The (layer, head) that follow the relation in some direction, best first, each once."""
        return tuple(dict.fromkeys((h.layer, h.head) for h in self.follows))


def resample_weights(sentences: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """[resample, sentence] how often each sentence is drawn: each resample draws `sentences` sentences
    uniformly with replacement, so rows sum to `sentences` (counted in one bincount: numpy's multinomial
    took 1.7 s for the 3,827 sentences of the gold corpus, this 0.1 s)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, max(1, sentences), size=(resamples, sentences), dtype=np.int64)
    flat = (draws + (np.arange(resamples) * sentences)[:, None]).ravel()
    counts = np.bincount(flat, minlength=resamples * sentences).reshape(resamples, sentences)
    return counts.astype(np.float32)  # whole counts: exact in float32, and half the matrix product's time


@functools.lru_cache(maxsize=4)
def corpus_resamples(sentences: int) -> np.ndarray:
    """resample_weights over a whole corpus, drawn once per process and shared by its relations (read-only):
    each relation's verdict takes the columns of its own sentences."""
    w = resample_weights(sentences)
    w.setflags(write=False)
    return w


def decide(
    relation: str,
    count: int,
    baseline_offset: int,
    sentence_arcs: np.ndarray,
    sentence_correct: np.ndarray,
    sentence_baseline: np.ndarray,
    directions: tuple[str, ...],
    weights: np.ndarray | None = None,
) -> RelationVerdict:
    """The verdict for one relation from per-sentence counts.

    sentence_arcs [S]: the relation's arcs in each sentence; sentence_correct [S, L, H, D]: arcs
    each head predicted, per direction; sentence_baseline [S]: arcs the fixed offset predicted.
    Each (head, direction) is judged on its own, against the same baseline on the same resamples.
    `weights` [resample, S]: how often each of these sentences is drawn in each resample, when the
    resamples are drawn over a whole corpus (`corpus_resamples`); else they are drawn over these S.
    """
    arcs = sentence_arcs.astype(np.float32)  # whole counts, exact in float32 (sums under 2**24)
    correct = sentence_correct.astype(np.float32)
    base = sentence_baseline.astype(np.float32)
    total = max(1.0, float(arcs.sum(dtype=np.float64)))
    accuracy = correct.sum(0, dtype=np.float64) / total  # [L, H, D]
    base_acc = float(base.sum(dtype=np.float64) / total)
    layers, heads, ways = accuracy.shape
    margin = accuracy - base_acc
    if len(arcs):
        w = resample_weights(len(arcs)) if weights is None else weights
        n = np.maximum(1.0, w @ arcs)  # [B]
        boot = (w @ correct.reshape(len(arcs), -1)) / n[:, None] - ((w @ base) / n)[:, None]  # [B, L*H*D]
        tail = (1 - CONFIDENCE) / 2 * 100
        low, high = np.percentile(boot, [tail, 100 - tail], axis=0).reshape(2, layers, heads, ways)
    else:
        low = high = margin
    verdicts = [
        HeadVerdict(
            layer=layer,
            head=h,
            direction=directions[d],
            accuracy=round(float(accuracy[layer, h, d]), 6),
            margin=round(float(margin[layer, h, d]), 6),
            margin_low=round(float(low[layer, h, d]), 6),
            margin_high=round(float(high[layer, h, d]), 6),
        )
        for layer in range(layers)
        for h in range(heads)
        for d in range(ways)
    ]
    verdicts.sort(key=lambda v: (-v.margin, -v.margin_low, v.layer, v.head, v.direction))
    if count < MIN_ARCS:
        verdict = TOO_FEW
    elif any(v.follows for v in verdicts):
        verdict = FOLLOWS
    elif base_acc >= POSITIONAL_MIN:
        verdict = POSITIONAL
    else:
        verdict = NONE
    return RelationVerdict(
        relation=relation,
        count=count,
        baseline_offset=baseline_offset,
        baseline_accuracy=base_acc,
        heads=tuple(verdicts),
        verdict=verdict,
    )
