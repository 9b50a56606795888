"""Head statistics and role labels; every threshold lives here, with where it comes from."""

from __future__ import annotations

import numpy as np

from headscope.attention import Attention

POSITIONAL_SHARE = 0.5
"""A head is positional when, on average, over half of a token's attention goes to one
fixed neighbour (the previous token, the next token, or itself).

Clark et al. 2019 (What Does BERT Look At?, section 3.2) single out exactly the heads that
put more than 50% of their attention on the previous or on the next token.
"""

POSITIONS = {-1: "previous token", 0: "same token", 1: "next token"}


def offset_shares(att: Attention) -> dict[int, np.ndarray]:
    """Per head, the mean share of a token's attention on the token `o` places away.

    Averaged over the non-special tokens that attend ({offset: [layer, head]}); a token
    with no neighbour on that side counts as giving it nothing.
    """
    w = att.weights
    n = w.shape[-1]
    rows = np.flatnonzero(~np.asarray(att.special, dtype=bool))
    if rows.size == 0:
        rows = np.arange(n)
    shares = {}
    for o in POSITIONS:
        targets = rows + o
        ok = (targets >= 0) & (targets < n)
        picked = w[:, :, rows[ok], targets[ok]]
        shares[o] = picked.sum(-1) / rows.size
    return shares


def positional_heads(att: Attention, threshold: float = POSITIONAL_SHARE) -> dict[tuple[int, int], str]:
    """Heads whose attention is mostly on one fixed neighbour: {(layer, head): 'previous token'}."""
    return positional_from_shares(offset_shares(att), threshold)


def positional_from_shares(shares: dict[int, np.ndarray], threshold: float = POSITIONAL_SHARE) -> dict[tuple[int, int], str]:
    """Heads whose share on one fixed neighbour is above the threshold."""
    found: dict[tuple[int, int], str] = {}
    for o, name in POSITIONS.items():
        for layer, head in zip(*np.nonzero(shares[o] > threshold)):
            found[(int(layer), int(head))] = name
    return found
