"""The bundled corpus's importance on disk: shipped in data/importance/, else in the cache folder, else computed."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from headscope.knockout.scores import Importance, corpus_importance
from headscope.models import LoadedModel

IMPORTANCE_VERSION = 1
"""Bump when the importance method changes: the disk cache and data/importance/ are keyed by it."""


# --- importance over the bundled corpus, cached on disk as the atlas is -----------------------


def corpus_cache_key(model_name: str, corpus_text: str, ablation: str = "zero") -> str:
    """A file name for the corpus importance of this model, corpus, ablation and method version."""
    digest = hashlib.sha256(f"{IMPORTANCE_VERSION}\0{model_name}\0{ablation}\0{corpus_text}".encode()).hexdigest()[:16]
    return f"importance-{digest}.json"


SHIPPED = Path(__file__).resolve().parents[2] / "data" / "importance"
"""The bundled model's importance over the bundled corpus, shipped (scripts/ship_importance.py), read first."""


def bundled_cache(loaded: LoadedModel, ablation: str) -> tuple[Path, str]:
    """Where the bundled corpus's importance for this model is kept (atlas.cache_dir), and the corpus's text."""
    from headscope import atlas, corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return atlas.cache_dir() / corpus_cache_key(loaded.name, text, ablation), text


def read_importance(path: Path) -> Importance | None:
    """A corpus importance written by `write_importance`, or None if the file is missing or damaged."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        per_sentence = doc.get("per_sentence")
        return Importance(
            model=doc["model"],
            tokens=(),
            effect=np.asarray(doc["effect"], dtype=np.float32),
            measure=doc["measure"],
            ablation=doc["ablation"],
            sentences=int(doc["sentences"]),
            per_sentence=None if per_sentence is None else np.asarray(per_sentence, dtype=np.float32),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_importance(result: Importance, path: Path) -> None:
    """Write a corpus importance as JSON (atomically: a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    doc = {
        "model": result.model,
        "effect": result.effect.tolist(),
        "measure": result.measure,
        "ablation": result.ablation,
        "sentences": result.sentences,
    }
    if result.per_sentence is not None:
        doc["per_sentence"] = np.round(result.per_sentence.astype(np.float64), 9).tolist()
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def cached_bundled_importance(loaded: LoadedModel, ablation: str = "zero") -> Importance | None:
    """The importance over the bundled corpus if it is shipped (data/importance/) or in the disk cache, else None.

    Nothing is computed. The file's name is a hash of the method's version, the model and the
    corpus: a stale file is not found.
    """
    path, _ = bundled_cache(loaded, ablation)
    for where in (SHIPPED / path.name, path):
        found = read_importance(where) if where.is_file() else None
        if found is not None:
            return found
    return None  # not there yet, or damaged: computed again


def bundled_sentences() -> list[str]:
    """The bundled corpus's sentences, as its importance averages them."""
    from headscope import corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return [line.strip() for line in corpus.lines_of(text) if line.strip()]


def bundled_importance(
    loaded: LoadedModel, ablation: str = "zero", progress: Callable[[int, int], None] | None = None
) -> Importance:
    """The importance averaged over the bundled corpus: shipped, from the disk cache, else computed and stored."""
    found = cached_bundled_importance(loaded, ablation)
    if found is not None:
        return found
    path, _ = bundled_cache(loaded, ablation)
    result = corpus_importance(loaded, bundled_sentences(), ablation, "bundled corpus", progress)
    try:
        write_importance(result, path)
    except OSError:
        pass  # a read-only disk only costs the recomputation next time
    return result
