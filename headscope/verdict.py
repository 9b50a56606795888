"""The one rule that says whether a head follows a relation, or whether the relation is positional.

A head *follows* a relation when, over a corpus, its accuracy (Clark et al. 2019, section
4.2: the word it attends to most is the arc's other end) beats the best fixed offset's
accuracy by a margin whose 95% interval lies above MIN_EFFECT. The interval is a paired
bootstrap over sentences: each resample draws sentences with replacement and scores the
head and the baseline on the same arcs (Efron & Tibshirani 1993, percentile interval;
resampling whole sentences, not arcs, because arcs of one sentence are not independent,
as in Berg-Kirkpatrick et al. 2012). A relation with no head that follows it is
*positional* when its fixed offset already finds at least POSITIONAL_MIN of its arcs,
otherwise *none*. One sentence is evidence, never a verdict: nothing here reads one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_EFFECT = 0.02
"""The smallest margin over the fixed-offset baseline that counts as following: 2 accuracy points,
about what a change of parser or corpus conversion moves a head's accuracy (README, "The answer")."""
CONFIDENCE = 0.95
"""The bootstrap interval's coverage."""
MIN_ARCS = 50
"""Fewer arcs than this over the corpus: no verdict (too few to tell a head from chance)."""
POSITIONAL_MIN = 0.5
"""A relation no head follows is 'positional' when its best fixed offset finds this share of its arcs."""
RESAMPLES = 1000
SEED = 2019
"""The bootstrap's resamples and seed: the same corpus gives the same verdict."""

FOLLOWS, POSITIONAL, NONE = "follows", "positional", "none"
VERDICTS = (FOLLOWS, POSITIONAL, NONE)

RULE = (
    f"A head follows a relation when, over the corpus, its accuracy beats the best fixed offset's "
    f"by more than {MIN_EFFECT:.2f} with {CONFIDENCE:.0%} confidence (paired bootstrap over sentences, "
    f"{RESAMPLES} resamples; relations with {MIN_ARCS}+ arcs). A relation no head follows is positional "
    f"when a fixed offset finds {POSITIONAL_MIN:.0%} or more of its arcs. Method: Clark et al. 2019."
)
"""The rule in words, for every page, the report and the CLI's text output."""


@dataclass(frozen=True)
class HeadVerdict:
    """One head on one relation: its accuracy, its margin over the baseline with the interval."""

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
    """One relation over a corpus: every head's verdict (best margin first) and the relation's."""

    relation: str
    count: int
    baseline_offset: int
    baseline_accuracy: float
    heads: tuple[HeadVerdict, ...]
    verdict: str

    @property
    def follows(self) -> tuple[HeadVerdict, ...]:
        """The heads that follow the relation, best first."""
        return tuple(h for h in self.heads if h.follows) if self.count >= MIN_ARCS else ()

    def head(self, layer: int, head: int) -> HeadVerdict:
        """The verdict of one head."""
        return next(h for h in self.heads if (h.layer, h.head) == (layer, head))

    def head_follows(self, layer: int, head: int) -> bool:
        """True when that head follows the relation."""
        return any((h.layer, h.head) == (layer, head) for h in self.follows)


def resample_weights(sentences: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """[resample, sentence] how often each sentence is drawn (multinomial, so rows sum to `sentences`)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(sentences, np.full(sentences, 1.0 / sentences), size=resamples).astype(np.float64)


def decide(
    relation: str,
    count: int,
    baseline_offset: int,
    sentence_arcs: np.ndarray,
    sentence_correct: np.ndarray,
    sentence_baseline: np.ndarray,
    directions: tuple[str, ...],
) -> RelationVerdict:
    """The verdict for one relation from per-sentence counts.

    sentence_arcs [S]: the relation's arcs in each sentence; sentence_correct [S, L, H, D]: arcs
    each head predicted, per direction; sentence_baseline [S]: arcs the fixed offset predicted.
    """
    arcs = sentence_arcs.astype(np.float64)
    correct = sentence_correct.astype(np.float64)
    base = sentence_baseline.astype(np.float64)
    total = max(1.0, arcs.sum())
    accuracy = correct.sum(0) / total  # [L, H, D]
    base_acc = float(base.sum() / total)
    layers, heads = accuracy.shape[:2]
    best_dir = accuracy.argmax(-1)  # chosen on the whole corpus, then held fixed in every resample
    chosen = np.take_along_axis(correct, best_dir[None, :, :, None], axis=-1)[..., 0]  # [S, L, H]
    margin = np.take_along_axis(accuracy, best_dir[..., None], axis=-1)[..., 0] - base_acc
    if len(arcs):
        w = resample_weights(len(arcs))
        n = np.maximum(1.0, w @ arcs)  # [B]
        boot = (w @ chosen.reshape(len(arcs), -1)) / n[:, None] - ((w @ base) / n)[:, None]  # [B, L*H]
        tail = (1 - CONFIDENCE) / 2 * 100
        low, high = np.percentile(boot, [tail, 100 - tail], axis=0).reshape(2, layers, heads)
    else:
        low = high = margin
    verdicts = [
        HeadVerdict(
            layer=layer,
            head=h,
            direction=directions[int(best_dir[layer, h])],
            accuracy=round(float(accuracy[layer, h, best_dir[layer, h]]), 6),
            margin=round(float(margin[layer, h]), 6),
            margin_low=round(float(low[layer, h]), 6),
            margin_high=round(float(high[layer, h]), 6),
        )
        for layer in range(layers)
        for h in range(heads)
    ]
    verdicts.sort(key=lambda v: (-v.margin, -v.margin_low, v.layer, v.head))
    follows = count >= MIN_ARCS and any(v.follows for v in verdicts)
    if follows:
        verdict = FOLLOWS
    elif count >= MIN_ARCS and base_acc >= POSITIONAL_MIN:
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
