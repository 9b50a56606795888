"""How a knocked-out output is compared with the intact one: sentence-embedding pooling and cosines."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

_POOLING_KEYS = (
    ("pooling_mode_cls_token", "cls"),
    ("pooling_mode_max_tokens", "max"),
    ("pooling_mode_mean_tokens", "mean"),
    ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"),
    ("pooling_mode_lasttoken", "lasttoken"),
)
"""sentence-transformers' Pooling config keys, in the order it concatenates them."""


def pooling_modes(folder: str | os.PathLike | None) -> tuple[str, ...]:
    """The pooling a sentence-transformers folder declares (modules.json -> its Pooling module's config.json).

    ("mean",) when the folder declares none, or declares only modes Headscope does not know.
    """
    try:
        root = Path(folder)
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        entry = next(m for m in modules if str(m.get("type", "")).endswith("Pooling"))
        config = json.loads((root / entry.get("path", "") / "config.json").read_text(encoding="utf-8"))
    except (OSError, TypeError, ValueError, StopIteration, AttributeError):
        return ("mean",)
    modes = tuple(name for key, name in _POOLING_KEYS if config.get(key))
    return modes or ("mean",)


def pool(hidden: np.ndarray, mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """Sentence embeddings [batch, dim * len(modes)] from hidden states [batch, token, dim] and the attention mask."""
    m = mask.astype(hidden.dtype)[..., None]
    count = np.maximum(m.sum(axis=1), 1e-9)
    parts = []
    for mode in modes:
        if mode == "cls":
            parts.append(hidden[:, 0])
        elif mode == "max":
            parts.append(np.where(m > 0, hidden, -np.inf).max(axis=1))
        elif mode == "mean_sqrt_len":
            parts.append((hidden * m).sum(axis=1) / np.sqrt(count))
        elif mode == "lasttoken":
            last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
            parts.append(hidden[np.arange(hidden.shape[0]), last])
        else:
            parts.append((hidden * m).sum(axis=1) / count)
    return np.concatenate(parts, axis=-1)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine between the last axes of a and b (0 where either is zero)."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a64, axis=-1) * np.linalg.norm(b64, axis=-1)
    dots = (a64 * b64).sum(axis=-1)
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
