"""The bundled corpus's importance on disk: shipped in data/importance/, else in the cache folder, else computed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from headscope import disk
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
    """Where the bundled corpus's importance for this model is kept (disk.cache_dir), and the corpus's text."""
    from headscope import corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return disk.cache_dir() / corpus_cache_key(loaded.name, text, ablation), text


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


def _dump(result: Importance) -> bytes:
    """A corpus importance as JSON bytes (what `read_importance` reads)."""
    doc = {
        "model": result.model,
        "effect": result.effect.tolist(),
        "measure": result.measure,
        "ablation": result.ablation,
        "sentences": result.sentences,
    }
    if result.per_sentence is not None:
        doc["per_sentence"] = np.round(result.per_sentence.astype(np.float64), 9).tolist()
    return json.dumps(doc).encode("utf-8")


def write_importance(result: Importance, path: Path) -> None:
    """Write a corpus importance as JSON (atomically: a reader sees the old file or the new one)."""
    disk.write(path, _dump(result))


def cached_bundled_importance(loaded: LoadedModel, ablation: str = "zero") -> Importance | None:
    """The importance over the bundled corpus if it is shipped (data/importance/) or in the disk cache, else None.

    Nothing is computed. The file's name is a hash of the method's version, the model and the
    corpus: a stale file is not found.
    """
    path, _ = bundled_cache(loaded, ablation)
    return disk.found(path.name, SHIPPED, read_importance)  # not there yet, or damaged: None (computed again)


def bundled_sentences() -> list[str]:
    """The bundled corpus's sentences, as its importance averages them."""
    from headscope import corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return [line.strip() for line in corpus.lines_of(text) if line.strip()]


def bundled_importance(
    loaded: LoadedModel, ablation: str = "zero", progress: Callable[[int, int], None] | None = None
) -> Importance:
    """The importance averaged over the bundled corpus: shipped, from the disk cache, else computed and stored."""
    path, _ = bundled_cache(loaded, ablation)
    return disk.kept(
        path.name,
        SHIPPED,
        read_importance,
        lambda: corpus_importance(loaded, bundled_sentences(), ablation, "bundled corpus", progress),
        _dump,
    )
