"""Two texts (or one text in two models) compared where their tokens do not line up one to one.

Two kinds of comparison need no equal shapes:
- the words both texts share: each text's attention among those words only (word level, as in
  `headscope.words`), side by side and as a difference;
- per-head numbers that do not grow with a text's length: the statistics of `roles.HeadStats`
  and a relation's share of arcs found (the Head atlas's accuracy, on one sentence).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from headscope import canvas, words
from headscope.attention import Attention, Axis
from headscope.panels import head_name
from headscope.roles import HeadStats
from headscope.syntax import RELATIONS, RelationScores, SyntaxScores

ALIGNMENTS = ("position", "words")
"""Two texts with as many tokens are lined up token by token, or by the words both share."""


@dataclass(frozen=True)
class Pairs:
    """Words of two axes matched up: the i-th shared word is word `a[i]` of A and word `b[i]` of B.

    Indices are into each side's words (`words.merge`); `labels_a`/`labels_b` name each shared word
    as that side's own grid does (a word that occurs twice carries its token's position: the·6).
    """

    a: tuple[int, ...]
    b: tuple[int, ...]
    labels_a: tuple[str, ...]
    labels_b: tuple[str, ...]


def word_key(label: str, special: bool) -> str:
    """What must be equal for two words to be the same word: the text, case left out; a special token as named."""
    return label if special else label.strip().casefold()


def _positions(axis: Axis, level: str) -> list[int]:
    """Per word of the axis, the position of its first token as the axis shows it (pieces or words)."""
    if level == "words":
        return list(range(len(axis.tokens)))
    return [group[0] for group in words.word_groups(axis.text, axis.offsets, axis.special)]


def _labels(keys: list[str], names: tuple[str, ...], positions: list[int]) -> list[str]:
    """Word names made unique the way the grids' token labels are: a repeated word carries its position."""
    counts = Counter(keys)
    return [name if counts[k] == 1 else f"{name}\u00b7{p}" for k, name, p in zip(keys, names, positions)]


def pair_words(a: Axis, b: Axis, positions_a: list[int], positions_b: list[int]) -> Pairs:
    """The words of A (in A's order) that B has too; a word that occurs k times is matched occurrence by occurrence.

    The first "the" of A goes with the first "the" of B, the second with the second; a third
    "the" in A only is left out. `a` and `b` are word axes (`words.merge`); `positions_*` the
    position of each word's first token in what the page shows, for the labels.
    """
    keys_a = [word_key(t, s) for t, s in zip(a.tokens, a.special)]
    keys_b = [word_key(t, s) for t, s in zip(b.tokens, b.special)]
    where_b: dict[str, list[int]] = {}
    for j, k in enumerate(keys_b):
        if k:
            where_b.setdefault(k, []).append(j)
    seen: Counter = Counter()
    ia, ib = [], []
    for i, k in enumerate(keys_a):
        if not k:
            continue
        occurrence = seen[k]
        seen[k] += 1
        if occurrence < len(where_b.get(k, ())):
            ia.append(i)
            ib.append(where_b[k][occurrence])
    names_a = _labels(keys_a, a.tokens, positions_a)
    names_b = _labels(keys_b, b.tokens, positions_b)
    return Pairs(tuple(ia), tuple(ib), tuple(names_a[i] for i in ia), tuple(names_b[j] for j in ib))


@dataclass(frozen=True)
class Shared:
    """A's and B's attention among the words both share, on the same axes (word i of A is word i of B).

    A row no longer sums to 1: what a word gives to words only its own text has is left out.
    A decoder's future cells (in either text) are NaN.
    """

    a: Attention
    b: Attention
    rows: Pairs
    columns: Pairs

    @property
    def count(self) -> int:
        """How many words both share (rows; the columns too in self-attention)."""
        return len(self.rows.a)

    @property
    def any_word(self) -> bool:
        """True when the two share a word on each axis, special tokens ([CLS], [SEP]) apart."""
        return not all(self.a.rows.special) and not all(self.a.columns.special)


def shared_attention(a: Attention, b: Attention) -> Shared:
    """Each side's word-level attention restricted to the words both have (rows and columns matched apart)."""
    wa, wb = words.merge(a), words.merge(b)
    rows = pair_words(wa.rows, wb.rows, _positions(a.rows, a.level), _positions(b.rows, b.level))
    if a.square and b.square:
        columns = rows
    else:
        columns = pair_words(wa.columns, wb.columns, _positions(a.columns, a.level), _positions(b.columns, b.level))
    return Shared(
        _restrict(wa, rows.a, columns.a, rows.labels_a, columns.labels_a),
        _restrict(wb, rows.b, columns.b, rows.labels_b, columns.labels_b),
        rows,
        columns,
    )


def _restrict(att: Attention, rows: tuple[int, ...], cols: tuple[int, ...], row_names, col_names) -> Attention:
    """Word-level attention with only the rows and columns given, named as given; future cells NaN."""
    weights = att.weights[:, :, list(rows)][:, :, :, list(cols)].astype(np.float32)
    if att.causal:
        future = np.array(cols)[None, :] > np.array(rows)[:, None]
        weights = np.where(future, np.float32(np.nan), weights)
    row_axis = att.rows.take(rows)._replace(tokens=tuple(row_names))
    col_axis = row_axis if att.square and rows == cols else att.columns.take(cols)._replace(tokens=tuple(col_names))
    return replace(att, rows=row_axis, columns=col_axis, weights=weights, causal=False)


# ---- per-head numbers that do not depend on length ----------------------------------------

STATISTICS = ("special", "previous", "same", "next", "punctuation", "entropy_ratio", "distance", "confidence")
"""The HeadStats fields compared, in the order offered. Entropy in nats is left out: it grows with
the number of tokens (entropy / uniform is the same number made independent of length)."""

ARCS = "arcs:"
"""Prefix of a relation's statistic: `arcs:nsubj` is the share of nsubj arcs a head finds."""

CHOICES = STATISTICS + tuple(ARCS + r for r in RELATIONS)


UNITS = {"distance": "tokens", "entropy_ratio": "of uniform", "confidence": "row max"}
"""A statistic's colour-bar title, short enough for a third of a 1024 px window ("share" unless named here)."""


def statistic_unit(choice: str) -> str:
    """The colour bar's title for a statistic."""
    return "found" if choice.startswith(ARCS) else UNITS.get(choice, "share")


def statistic_name(choice: str) -> str:
    """How a statistic is named on the page."""
    if choice.startswith(ARCS):
        return f"{choice[len(ARCS) :]} arcs found (better direction)"
    return HeadStats.NAMES[choice]


def relation_accuracy(rs: RelationScores | None, shape: tuple[int, int]) -> np.ndarray:
    """Per head, the share of the relation's arcs whose head it attends to most, in its better direction.

    The Head atlas's accuracy (Clark et al. 2019), on one sentence: the `accuracy` of
    `syntax.relation_scores`, best of the two directions. NaN everywhere when the sentence has
    no arc of the relation.
    """
    out = np.full(shape, np.nan, dtype=np.float32)
    if rs is None or not rs.arcs:
        return out
    for h in rs.heads:
        if h.layer < shape[0] and h.head < shape[1]:
            out[h.layer, h.head] = np.fmax(out[h.layer, h.head], h.accuracy)
    return out


def head_statistic(choice: str, stats: HeadStats, scores: SyntaxScores | None) -> np.ndarray:
    """One statistic for every head, a [layer, head] array (float32; NaN where it cannot be measured)."""
    if choice.startswith(ARCS):
        relation = choice[len(ARCS) :]
        rs = scores.relations.get(relation) if scores is not None else None
        return relation_accuracy(rs, stats.entropy.shape)
    return np.asarray(getattr(stats, choice), dtype=np.float32)


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """A minus B per head; None when the two models' layer x head grids differ."""
    return (a - b).astype(np.float32) if a.shape == b.shape else None


def statistic_grids(
    choice: str, a: tuple[HeadStats, SyntaxScores | None], b: tuple[HeadStats, SyntaxScores | None]
) -> tuple[dict, dict]:
    """Layer x head grids of one statistic (CHOICES), to draw left to right: A and B side by side on
    one scale (one grid), and A minus B; for two models with other numbers of layers or heads, A's
    grid and B's, and no difference.

    `a`, `b`: each side's statistics and, for a relation's arcs, its scores. Every cell's hover
    gives both numbers and their difference; a click on a cell reports its head.
    """
    name, unit = statistic_name(choice), statistic_unit(choice)
    a, b = head_statistic(choice, *a), head_statistic(choice, *b)
    diff = difference(a, b)
    both = np.concatenate([a.ravel(), b.ravel()])
    top = max(1.0, float(np.nanmax(both))) if np.isfinite(both).any() else 1.0

    def hover(layer: int, head: int) -> str:
        def value(x: np.ndarray, fmt: str = ".3f") -> str:
            if layer >= x.shape[0] or head >= x.shape[1] or not np.isfinite(x[layer, head]):
                return "none"
            return format(float(x[layer, head]), fmt)

        said = f"{head_name(layer, head)} · {name}\nA {value(a)} · B {value(b)}"
        return said + (f" · A \u2212 B {value(diff, '+.3f')}" if diff is not None else "")

    def hovers(values: np.ndarray) -> list[list[str]]:
        return [[hover(layer, h) for h in range(values.shape[1])] for layer in range(values.shape[0])]

    scale = canvas.Scale(unit, 0.0, top)
    if diff is None:  # other models, other grids: A and B apart (the page draws them side by side)
        return canvas.heads_grid(a, "A", scale, hover=hovers(a)), canvas.heads_grid(b, "B", scale, hover=hovers(b))
    bound = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
    sides = canvas.heads_grid(a, "A", scale, hover=hovers(a), also=((b, "B"),))
    return sides, canvas.heads_grid(diff, "A \u2212 B", canvas.diverging(bound, "A \u2212 B"), hover=hovers(diff))
