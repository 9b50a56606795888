"""Head statistics and role labels; every threshold lives here, with where it comes from.

The statistics follow Clark et al. 2019 (What Does BERT Look At?, section 3), Kovaleva et
al. 2019 (Revealing the Dark Secrets of BERT) and Voita et al. 2019 (Analyzing Multi-Head
Self-Attention). All are means over the non-special tokens that attend (rows), so a
sentence's [CLS] and [SEP] rows do not dilute them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from headscope import verdict
from headscope.attention import Attention

POSITIONAL_SHARE = 0.5
"""A head is positional when, on average, over half of a token's attention goes to one
fixed neighbour: the previous token, the next token, or itself.

Clark et al. 2019 (section 3.2) single out exactly the heads that put more than 50% of
their attention on the previous or on the next token; Voita et al. 2019 call such heads
"positional" when the same share is reached at least 90% of the time.
"""

SPECIAL_SHARE = 0.5
"""A head is a special-token sink ("no-op") when over half of its attention goes to special
tokens ([CLS], [SEP], BOS/EOS). Clark et al. 2019 (section 3.3) find over half of BERT's
attention in layers 6-10 on [SEP] and argue it is a no-op; Kovaleva et al. 2019 call these
patterns "vertical"."""

PUNCTUATION_SHARE = 0.5
"""A head is a punctuation head when over half of its attention goes to punctuation tokens
(Clark et al. 2019, section 3.3: heads that attend broadly to periods and commas)."""

BROAD_ENTROPY = 0.8
"""A head is broad when its mean attention entropy is at least 80% of the entropy of
uniform attention over the same tokens. Clark et al. 2019 (section 3.4) measure per-head
entropy and find broad heads in the lower layers; Kovaleva et al. 2019 call them
"heterogeneous". The 80% line is this project's choice: uniform attention scores 100%."""

POSITIONS = {-1: "previous token", 0: "same token", 1: "next token"}


@dataclass(frozen=True)
class Role:
    """A head's role: its name, a short label for a grid cell, its colour (None: left uncoloured) and its rule."""

    name: str
    short: str
    colour: str | None
    rule: str


ROLE_TABLE = (
    Role("previous token", "prev", "#1f77b4", f"over {POSITIONAL_SHARE:.0%} of attention on the previous token"),
    Role("next token", "next", "#17becf", f"over {POSITIONAL_SHARE:.0%} of attention on the next token"),
    Role("same token", "self", "#9467bd", f"over {POSITIONAL_SHARE:.0%} of attention on the token itself"),
    Role(
        "no-op (special tokens)",
        "no-op",
        "#8c8c8c",
        f"over {SPECIAL_SHARE:.0%} of attention on [CLS]/[SEP] (or BOS/EOS)",
    ),
    Role("punctuation", "punct", "#8c564b", f"over {PUNCTUATION_SHARE:.0%} of attention on punctuation"),
    Role(
        "syntactic",
        "syntax",
        "#d62728",
        f"follows a relation over the head atlas's corpus: beats its fixed-offset baseline by more "
        f"than {verdict.MIN_EFFECT} with {verdict.CONFIDENCE:.0%} confidence "
        f"(relations with {verdict.MIN_ARCS}+ arcs; headscope.verdict)",
    ),
    Role("broad", "broad", "#ff7f0e", f"mean entropy at least {BROAD_ENTROPY:.0%} of uniform attention's"),
    Role("other", "", None, "none of the above"),
)
"""Every role, in the order they are tested: the first that applies is the head's role.

The one list of roles: the page's grid and legend, the thresholds and the CLI read it. "other"
has no colour, so the heads that do something stand out (in a dark theme too)."""

ROLES = tuple(r.name for r in ROLE_TABLE)
ROLE_BY_NAME = {r.name: r for r in ROLE_TABLE}
THRESHOLDS = {r.name: r.rule for r in ROLE_TABLE if r.name != "other"}
"""Each role's rule, as the CLI's JSON and the page's explanation give it."""


def offset_shares(att: Attention) -> dict[int, np.ndarray]:
    """Per head, the mean share of a token's attention on the token `o` places away.

    Averaged over the non-special tokens that attend ({offset: [layer, head]}); a token
    with no neighbour on that side counts as giving it nothing.
    """
    w = att.weights
    n = w.shape[-1]
    rows = _rows(att)
    shares = {}
    for o in POSITIONS:
        targets = rows + o
        ok = (targets >= 0) & (targets < n)
        shares[o] = w[:, :, rows[ok], targets[ok]].sum(-1) / rows.size
    return shares


def positional_heads(att: Attention, threshold: float = POSITIONAL_SHARE) -> dict[tuple[int, int], str]:
    """Heads whose attention is mostly on one fixed neighbour: {(layer, head): 'previous token'}."""
    return positional_from_shares(offset_shares(att), threshold)


def positional_from_shares(
    shares: dict[int, np.ndarray], threshold: float = POSITIONAL_SHARE
) -> dict[tuple[int, int], str]:
    """Heads whose share on one fixed neighbour is above the threshold."""
    found: dict[tuple[int, int], str] = {}
    for o, name in POSITIONS.items():
        for layer, head in zip(*np.nonzero(shares[o] > threshold)):
            found[(int(layer), int(head))] = name
    return found


def _rows(att: Attention) -> np.ndarray:
    """Indices of the tokens whose rows count: the non-special ones (all, if none is)."""
    rows = np.flatnonzero(~np.asarray(att.special, dtype=bool))
    return rows if rows.size else np.arange(att.num_tokens)


def is_punctuation(token_text: str) -> bool:
    """True for a token made only of punctuation characters."""
    text = token_text.strip()
    return bool(text) and all(unicodedata.category(c).startswith("P") for c in text)


def punctuation_mask(att: Attention) -> np.ndarray:
    """Per token attended to (column), True when its characters in the text are all punctuation."""
    _, text, offsets, special = att.columns
    return np.array([not s and is_punctuation(text[a:b]) for (a, b), s in zip(offsets, special)], dtype=bool)


@dataclass(frozen=True)
class HeadStats:
    """Per-head statistics, each a [layer, head] array (means over attending tokens)."""

    entropy: np.ndarray  # nats
    entropy_ratio: np.ndarray  # entropy / entropy of uniform attention over the same keys
    special: np.ndarray  # share on special tokens
    punctuation: np.ndarray  # share on punctuation tokens
    previous: np.ndarray  # share on the previous token
    same: np.ndarray  # share on the token itself
    next: np.ndarray  # share on the next token
    distance: np.ndarray  # mean |query - key| weighted by attention, in tokens
    confidence: np.ndarray  # mean of the row maximum

    NAMES = {
        "entropy": "entropy (nats)",
        "entropy_ratio": "entropy / uniform",
        "special": "share on [CLS]/[SEP]",
        "punctuation": "share on punctuation",
        "previous": "share on previous token",
        "same": "share on same token",
        "next": "share on next token",
        "distance": "mean distance (tokens)",
        "confidence": "confidence (mean row max)",
    }
    """Each statistic (a field) and how a table names it."""
    FIELDS = tuple(NAMES)

    def as_dict(self) -> dict[str, np.ndarray]:
        """The statistics by name."""
        return {f: getattr(self, f) for f in self.FIELDS}


def head_stats(att: Attention, causal: bool | None = None) -> HeadStats:
    """Every head's statistics for one text. `causal` (default: the attention's own): row q sees keys 0..q.

    In cross-attention the rows and columns are different texts: the positional shares and
    the distance are NaN there.
    """
    causal = att.causal if causal is None else causal
    w = att.weights.astype(np.float64)
    n = w.shape[-1]
    rows = _rows(att)
    sub = w[:, :, rows]  # [L, H, R, n]
    logs = np.log(np.where(sub > 0, sub, 1.0))
    entropy = -(sub * logs).sum(-1)  # [L, H, R]
    visible = (rows + 1) if causal else np.full(rows.size, n)
    choosing = visible >= 2  # a row with one visible key has no choice to measure
    ratio_rows = entropy[..., choosing] / np.log(visible[choosing]) if choosing.any() else np.ones(w.shape[:2] + (1,))
    special = np.asarray(att.columns.special, dtype=bool)
    punct = punctuation_mask(att)
    distance = np.abs(rows[:, None] - np.arange(n)[None, :])  # [R, n]
    if att.square:
        shares = offset_shares(att)
    else:
        nan = np.full(w.shape[:2], np.nan)
        shares, distance = {-1: nan, 0: nan, 1: nan}, np.full((rows.size, n), np.nan)
    return HeadStats(
        entropy=entropy.mean(-1),
        entropy_ratio=ratio_rows.mean(-1),
        special=sub[..., special].sum(-1).mean(-1),
        punctuation=sub[..., punct].sum(-1).mean(-1),
        previous=shares[-1],
        same=shares[0],
        next=shares[1],
        distance=(sub * distance).sum(-1).mean(-1),
        confidence=sub.max(-1).mean(-1),
    )


def mean_stats(all_stats: list[HeadStats]) -> HeadStats:
    """The mean of several texts' statistics (e.g. over a corpus)."""
    return HeadStats(**{f: np.mean([s.as_dict()[f] for s in all_stats], axis=0) for f in HeadStats.FIELDS})


def label(stats: HeadStats, layer: int, head: int, syntactic: frozenset[tuple[int, int]] = frozenset()) -> str:
    """The role of one head: the first of ROLES whose threshold it passes."""
    checks = (
        ("previous token", stats.previous[layer, head] > POSITIONAL_SHARE),
        ("next token", stats.next[layer, head] > POSITIONAL_SHARE),
        ("same token", stats.same[layer, head] > POSITIONAL_SHARE),
        ("no-op (special tokens)", stats.special[layer, head] > SPECIAL_SHARE),
        ("punctuation", stats.punctuation[layer, head] > PUNCTUATION_SHARE),
        ("syntactic", (layer, head) in syntactic),
        ("broad", stats.entropy_ratio[layer, head] >= BROAD_ENTROPY),
    )
    return next((name for name, passed in checks if passed), "other")


def labels(stats: HeadStats, syntactic: frozenset[tuple[int, int]] = frozenset()) -> np.ndarray:
    """Every head's role, a [layer, head] array of ROLES strings."""
    layers, heads = stats.entropy.shape
    return np.array(
        [[label(stats, layer, h, syntactic) for h in range(heads)] for layer in range(layers)], dtype=object
    )
