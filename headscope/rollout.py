"""Attention rollout (Abnar & Zuidema 2020): how much each input token feeds each position."""

from __future__ import annotations

import numpy as np

RESIDUAL = 0.5
"""Weight of the identity (the residual connection) in each layer's mixing matrix."""


def layer_matrices(weights: np.ndarray, residual: float = RESIDUAL) -> np.ndarray:
    """Per layer: heads averaged, residual added (residual*I + (1-residual)*A), rows renormalised."""
    mean = weights.astype(np.float64).mean(axis=1)  # [layer, query, key]
    n = mean.shape[-1]
    mixed = (1 - residual) * mean + residual * np.eye(n)
    return mixed / mixed.sum(axis=-1, keepdims=True)


def rollout(weights: np.ndarray, residual: float = RESIDUAL) -> np.ndarray:
    """Rolled-out attention after each layer: [layer, query, input token], rows sum to 1.

    Layer 0 is that layer's own matrix; layer l is A_l @ rollout[l-1], so row q of layer l
    says how much each input token contributes to position q's representation after layer l.
    """
    mats = layer_matrices(weights, residual)
    out = np.empty_like(mats)
    acc = np.eye(mats.shape[-1])
    for layer, mat in enumerate(mats):
        acc = mat @ acc
        out[layer] = acc
    return out.astype(np.float32)
