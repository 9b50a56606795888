"""Corpus-level head scores: how well each head finds each relation's syntactic heads.

Clark et al. 2019 (What Does BERT Look At?, section 4.2): for every arc of a relation, a
head "predicts" the other end of the arc when, among the other words of the sentence
(special tokens and the word itself excluded), it attends most to that word. Word-level
attention follows their merge (sum over the pieces of the word attended to, mean over the
pieces of the word attending). Both directions are scored; the baseline is the best fixed
offset (-3..+3) per relation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from headscope import attention, norms, roles, verdict
from headscope.attention import Attention
from headscope.corpus import Corpus
from headscope.models import LoadedModel
from headscope.syntax import (ALL, DIRECTIONS, OFFSETS, Parse, arc_ends, offset_hits, pick_offset, predictions,
                              word_attention)

ATLAS_VERSION = 5  # 4: per-sentence counts for the verdict; 5: a CoNLL-U multi-word token's words keep their parts
"""Bump when the method changes, so that atlases cached on disk are recomputed."""


@dataclass(frozen=True)
class RelationAtlas:
    """One relation over a corpus: per head and direction, how many arcs it predicted."""

    relation: str
    count: int
    correct: np.ndarray  # [layer, head, direction] counts; direction as in syntax.DIRECTIONS
    baseline_offset: int
    baseline_correct: int
    # per sentence that has arcs of this relation (for the verdict's paired bootstrap):
    sentence_arcs: np.ndarray | None = None  # [sentence] arcs
    sentence_correct: np.ndarray | None = None  # [sentence, layer, head, direction] arcs predicted
    sentence_baseline: np.ndarray | None = None  # [sentence] arcs the baseline offset predicted

    @property
    def accuracy(self) -> np.ndarray:
        """[layer, head, direction] share of arcs predicted."""
        return self.correct / max(1, self.count)

    @property
    def best_direction_accuracy(self) -> np.ndarray:
        """[layer, head] accuracy in the head's better direction."""
        return self.accuracy.max(axis=-1)

    @property
    def baseline_accuracy(self) -> float:
        """Share of arcs the best fixed offset predicts."""
        return self.baseline_correct / max(1, self.count)

    def best(self) -> tuple[int, int, str, float]:
        """(layer, head, direction, accuracy) of the best head (first in layer, head order on ties)."""
        acc = self.accuracy
        layer, head = divmod(int(np.argmax(self.best_direction_accuracy)), acc.shape[1])
        d = int(np.argmax(acc[layer, head]))
        return layer, head, DIRECTIONS[d], float(acc[layer, head, d])

    def beats_baseline(self) -> bool:
        """True when the best head predicts more arcs than the best fixed offset."""
        return self.best()[3] > self.baseline_accuracy

    @functools.cached_property
    def verdict(self) -> verdict.RelationVerdict:
        """The one verdict rule (headscope.verdict) applied to this relation's per-sentence counts."""
        if self.sentence_arcs is None:
            raise ValueError("this atlas has no per-sentence counts; recompute it")
        return verdict.decide(self.relation, self.count, self.baseline_offset, self.sentence_arcs,
                              self.sentence_correct, self.sentence_baseline, DIRECTIONS)


@dataclass(frozen=True)
class Atlas:
    """Head scores of one model over one corpus."""

    model: str
    corpus: str
    sentences: int
    words: int
    relations: dict[str, RelationAtlas]
    stats: roles.HeadStats | None = None  # per-head statistics, mean over the corpus
    weighting: str = "weights"  # or "norms": attention weighted by what the heads move (headscope.norms)

    def follows(self, relation: str, layer: int, head: int) -> bool:
        """True when the head follows the relation over this corpus (headscope.verdict's rule)."""
        ra = self.relations.get(relation)
        return ra is not None and ra.verdict.head_follows(layer, head)

    def positional_heads(self) -> dict[tuple[int, int], str]:
        """Heads that, over the corpus, mostly look at one fixed neighbouring token."""
        if self.stats is None:
            return {}
        s = self.stats
        return roles.positional_from_shares({-1: s.previous, 0: s.same, 1: s.next})

    def syntactic_relations(self) -> dict[tuple[int, int], list[str]]:
        """Per head, the relations it follows (headscope.verdict's rule)."""
        found: dict[tuple[int, int], list[str]] = {}
        for relation, ra in self.relations.items():
            if relation == ALL:
                continue
            for h in ra.verdict.follows:
                found.setdefault((h.layer, h.head), []).append(relation)
        return found


def _count_arcs(pred: np.ndarray, p: Parse, tallies: dict[str, list]) -> None:
    """Add one sentence's arcs to the per-relation lists: (arcs, [L, H, D] hits, hits per offset)."""
    for relation in {r for _, _, r in p.arcs()} | {ALL}:
        arcs = p.arcs(relation)
        if not arcs:
            continue
        deps, govs = arc_ends(arcs)
        hits = np.stack([(pred[:, :, deps] == govs).sum(-1), (pred[:, :, govs] == deps).sum(-1)], axis=-1)
        per_offset = offset_hits(arcs)
        tallies.setdefault(relation, []).append((len(arcs), hits.astype(np.int32),
                                                 [per_offset[o] for o in OFFSETS]))


def _relation(relation: str, rows: list) -> RelationAtlas:
    """One relation's atlas from its per-sentence rows."""
    arcs = np.array([n for n, _, _ in rows], dtype=np.int64)
    correct = np.stack([h for _, h, _ in rows])
    offsets = np.array([o for _, _, o in rows], dtype=np.int64)  # [sentence, offset]
    count = int(arcs.sum())
    base = pick_offset(dict(zip(OFFSETS, offsets.sum(0).tolist())), count)
    column = OFFSETS.index(base.offset)
    return RelationAtlas(relation=relation, count=count, correct=correct.sum(0, dtype=np.int64),
                         baseline_offset=base.offset, baseline_correct=int(offsets[:, column].sum()),
                         sentence_arcs=arcs, sentence_correct=correct, sentence_baseline=offsets[:, column])


def compute(
    loaded: LoadedModel,
    corpus: Corpus,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    weighting: str = "weights",
) -> Atlas:
    """The atlas of a model over a corpus, in batched forward passes (longest first).

    With weighting "norms", each sentence's attention is weighted by what the heads move
    (headscope.norms, one sentence a pass).
    """
    parses = [p for p in corpus.parses if p.words]
    order = sorted(range(len(parses)), key=lambda i: -len(parses[i].text))

    def run(texts: list[str]) -> list[Attention]:
        if weighting == "weights":
            return attention.run_batch(loaded, texts)
        return [norms.attend(loaded, text, weighting=weighting) for text in texts]

    def pairs() -> Iterator[tuple[Attention, Parse]]:
        for start in range(0, len(order), batch_size):
            batch = [parses[i] for i in order[start:start + batch_size]]
            yield from zip(run([p.text for p in batch]), batch)
            if progress:
                progress(min(start + batch_size, len(order)), len(order))

    return replace(score(pairs(), model=loaded.name, corpus=corpus.name), weighting=weighting)


def score(pairs: Iterable[tuple[Attention, Parse]], model: str, corpus: str) -> Atlas:
    """The atlas from each sentence's attention and parse."""
    tallies: dict[str, list] = {}
    sentences = words = 0
    stats: list[roles.HeadStats] = []
    for att, p in pairs:
        wa = word_attention(att, p)
        if len(wa.parse.words) < 2:  # nothing the tokenizer kept can attend to another word
            continue
        stats.append(roles.head_stats(att))
        sentences += 1
        words += len(wa.parse.words)
        _count_arcs(predictions(wa.weights), wa.parse, tallies)
    relations = {relation: _relation(relation, rows) for relation, rows in sorted(tallies.items())}
    return Atlas(model=model, corpus=corpus, sentences=sentences, words=words, relations=relations,
                 stats=roles.mean_stats(stats) if stats else None)


def to_json(atlas: Atlas) -> dict:
    """The CLI's `atlas` document (see DESIGN.md)."""
    relations = {}
    for relation, ra in atlas.relations.items():
        layer, head, direction, accuracy = ra.best()
        relations[relation] = {
            "count": ra.count,
            "best": {"layer": layer, "head": head, "direction": direction, "accuracy": accuracy},
            "baseline": {"offset": ra.baseline_offset, "accuracy": ra.baseline_accuracy},
            "accuracy": ra.best_direction_accuracy.round(6).tolist(),
            "follows": [h.as_json() for h in ra.verdict.follows],
            "verdict": ra.verdict.verdict,
        }
    return {
        "model": atlas.model,
        "corpus": atlas.corpus,
        "sentences": atlas.sentences,
        "words": atlas.words,
        "weighting": atlas.weighting,
        "rule": verdict.RULE,
        "relations": relations,
    }


def _save(atlas: Atlas, path: Path) -> None:
    """Write an atlas with its raw counts, so that it loads back exactly."""
    doc = {
        "model": atlas.model,
        "corpus": atlas.corpus,
        "sentences": atlas.sentences,
        "words": atlas.words,
        "relations": {
            r: {"count": ra.count, "correct": ra.correct.tolist(),
                "baseline_offset": ra.baseline_offset, "baseline_correct": ra.baseline_correct,
                "sentence_arcs": ra.sentence_arcs.tolist(), "sentence_correct": ra.sentence_correct.tolist(),
                "sentence_baseline": ra.sentence_baseline.tolist()}
            for r, ra in atlas.relations.items()
        },
        "stats": {k: v.tolist() for k, v in atlas.stats.as_dict().items()} if atlas.stats else None,
        "weighting": atlas.weighting,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)


def _load(path: Path) -> Atlas:
    """Read an atlas written by _save."""
    doc = json.loads(path.read_text())
    relations = {
        r: RelationAtlas(relation=r, count=v["count"], correct=np.array(v["correct"], dtype=np.int64),
                         baseline_offset=v["baseline_offset"], baseline_correct=v["baseline_correct"],
                         sentence_arcs=np.array(v["sentence_arcs"], dtype=np.int64),
                         sentence_correct=np.array(v["sentence_correct"], dtype=np.int32),
                         sentence_baseline=np.array(v["sentence_baseline"], dtype=np.int64))
        for r, v in doc["relations"].items()
    }
    stats = roles.HeadStats(**{k: np.array(v) for k, v in doc["stats"].items()}) if doc.get("stats") else None
    return Atlas(model=doc["model"], corpus=doc["corpus"], sentences=doc["sentences"],
                 words=doc["words"], relations=relations, stats=stats, weighting=doc.get("weighting", "weights"))


def cache_dir() -> Path:
    """Where atlases are kept between runs ($HEADSCOPE_CACHE, else ~/.cache/headscope)."""
    root = os.environ.get("HEADSCOPE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "headscope"
    )
    return Path(root)


def cache_key(model_name: str, corpus_text: str, weighting: str = "weights") -> str:
    """A file name for the atlas of this model, corpus, weighting and method version."""
    tag = "" if weighting == "weights" else f"\0{weighting}"
    digest = hashlib.sha256(f"{ATLAS_VERSION}\0{model_name}\0{corpus_text}{tag}".encode()).hexdigest()[:16]
    return f"atlas-{digest}.json"


def bundled(loaded: LoadedModel, weighting: str = "weights") -> Atlas:
    """The model's atlas over the bundled corpus, from the disk cache when it is there (the file read once)."""
    from headscope import corpus

    text = corpus.BUNDLED_CORPUS.read_text(encoding="utf-8")
    return cached(loaded, text, lambda: corpus.bundled(text), weighting=weighting)


def cached(loaded: LoadedModel, corpus_text: str, make_corpus: Callable[[], Corpus],
           progress: Callable[[int, int], None] | None = None, weighting: str = "weights") -> Atlas:
    """The atlas from the disk cache, computed and stored there on first use."""
    path = cache_dir() / cache_key(loaded.name, corpus_text, weighting)
    if path.is_file():
        try:
            return _load(path)
        except Exception:  # noqa: BLE001 - a damaged or outdated cache file is recomputed
            pass
    atlas = compute(loaded, make_corpus(), progress=progress, weighting=weighting)
    try:
        _save(atlas, path)
    except OSError:
        pass  # a read-only disk only costs the recomputation next time
    return atlas
