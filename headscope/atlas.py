"""Corpus-level head scores: how well each head finds each relation's syntactic heads.

Clark et al. 2019 (What Does BERT Look At?, section 4.2): for every arc of a relation, a
head "predicts" the other end of the arc when, among the other words of the sentence
(special tokens and the word itself excluded), it attends most to that word. Word-level
attention follows their merge (sum over the pieces of the word attended to, mean over the
pieces of the word attending). Both directions are scored; the baseline is the best fixed
offset (-3..+3) per relation. Every relation is also split into its adjacent arcs (the other
end is the next or the previous word) and its distant ones, each scored against the best
offset on those arcs alone: a head that finds adjacent arcs may only be looking next door.

The default corpus is gold (UD English-EWT dev+test); its per-sentence counts for the bundled
model ship in data/atlas/ (`SHIPPED`), so that a fresh server answers at once.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from headscope import attention, disk, norms, roles, verdict
from headscope import corpus as corpora
from headscope.attention import Attention
from headscope.corpus import Corpus
from headscope.models import LoadedModel
from headscope.syntax import (
    ALL,
    DIRECTIONS,
    OFFSETS,
    Baseline,
    Parse,
    ParseError,
    arc_ends,
    offset_hits,
    pick_offset,
    predictions,
    word_attention,
)
from headscope.wording import plural

ATLAS_VERSION = 6  # 4: per-sentence counts; 5: a multi-word token's words keep their parts; 6: splits, .npz
"""Bump when the method changes, so that atlases cached on disk (and shipped in data/atlas/) are recomputed."""

SHIPPED = corpora.DATA / "atlas"
"""Atlases shipped with Headscope (the bundled model over the shipped corpora), read before the disk cache."""

ADJACENT, DISTANT = SPLITS = ("adjacent", "distant")
"""A relation's arcs told apart: the other end is the next or the previous word, or further away."""


@dataclass(frozen=True)
class Split:
    """One relation's adjacent or distant arcs over a corpus: how many, and what each head and offset finds."""

    arcs: int
    correct: np.ndarray  # [layer, head, direction] arcs predicted
    offset_hits: np.ndarray  # [offset] arcs each fixed offset (syntax.OFFSETS) predicts

    @property
    def baseline(self) -> Baseline | None:
        """The best fixed offset on these arcs alone (None without arcs)."""
        return pick_offset(dict(zip(OFFSETS, self.offset_hits.tolist())), self.arcs)

    def ranked(self) -> list[tuple[int, int, str, float]]:
        """Every head in its better direction on these arcs: (layer, head, direction, accuracy), best first."""
        if not self.arcs:
            return []
        acc = self.correct / self.arcs
        best = acc.argmax(-1)
        rows = [
            (layer, h, DIRECTIONS[int(best[layer, h])], float(acc[layer, h, best[layer, h]]))
            for layer in range(acc.shape[0])
            for h in range(acc.shape[1])
        ]
        return sorted(rows, key=lambda r: (-r[3], r[0], r[1]))

    def as_json(self) -> dict:
        """The CLI's `split` entry: arcs, the best offset and its accuracy, the heads best first."""
        base = self.baseline
        return {
            "arcs": self.arcs,
            "offset": base.offset if base else None,
            "offset_accuracy": round(base.score, 6) if base else None,
            "heads": [
                {"layer": layer, "head": h, "direction": d, "accuracy": round(a, 6)} for layer, h, d, a in self.ranked()
            ],
        }


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
    sentence_index: np.ndarray | None = None  # [sentence] which sentence of the corpus each row is
    corpus_sentences: int = 0  # the corpus's sentences that indices count (its bootstrap resamples them all)
    split: dict[str, Split] = field(default_factory=dict)  # ADJACENT and DISTANT arcs apart

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
        weights = None
        if self.corpus_sentences and self.sentence_index is not None:  # resampled over the corpus, drawn once
            weights = verdict.corpus_resamples(self.corpus_sentences)[:, self.sentence_index]
        return verdict.decide(
            self.relation,
            self.count,
            self.baseline_offset,
            self.sentence_arcs,
            self.sentence_correct,
            self.sentence_baseline,
            DIRECTIONS,
            weights,
        )


@dataclass(frozen=True)
class Atlas:
    """Head scores of one model over one corpus."""

    model: str
    corpus: str
    sentences: int
    words: int
    relations: dict[str, RelationAtlas]
    stats: roles.HeadStats | None = None  # per-head statistics, mean over the corpus
    truncated: int = 0  # sentences longer than the model reads: only their start was scored
    weighting: str = "weights"  # or "norms": attention weighted by what the heads move (headscope.norms)

    def follows(self, relation: str, layer: int, head: int, direction: str | None = None) -> bool:
        """True when the head follows the relation over this corpus in that direction (None: in either)."""
        ra = self.relations.get(relation)
        return ra is not None and ra.verdict.head_follows(layer, head, direction)

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
            for key in ra.verdict.following_heads():
                found.setdefault(key, []).append(relation)
        return found


class NoArcs(ParseError):
    """A corpus in which the model can score no dependency arc; the message says why."""


TOKEN_BUDGET = 64 * 2**20
"""Bytes of attention a batch of atlas sentences may hold ([sentence, layer, head, token, token] float32).

The forward pass keeps about three copies (torch's per-layer tensors, their stack, the numpy
array); one 512-token sentence of a 6 x 12-head model is 75 MB, so long sentences go one at a time.
"""


@dataclass
class Tally:
    """An atlas being computed: running counts over the sentences scored so far.

    `scored` holds the sentences already run, so that a computation that was stopped can
    go on from there with the same Tally, and none is counted twice.
    """

    scored: set = field(default_factory=set)  # indices (in the corpus's sentences with words) already added
    span: int = 0  # the highest sentence index seen, plus one: the corpus the bootstrap resamples
    sentences: int = 0  # sentences scored (two or more words the model read)
    words: int = 0
    arcs_seen: int = 0  # scored arcs in the parses of the sentences run, before truncation
    truncated: int = 0  # sentences longer than the model reads (cut at its token limit)
    tallies: dict = field(default_factory=dict)  # relation -> per sentence (index, arcs, hits [L, H, D], per offset)
    splits: dict = field(default_factory=dict)  # (relation, split) -> [arcs, hits [L, H, D], hits per offset] totals
    stats: list = field(default_factory=list)  # roles.HeadStats per sentence scored

    @property
    def done(self) -> int:
        """How many sentences were added."""
        return len(self.scored)

    def add(self, att: Attention, p: Parse, index: int | None = None) -> None:
        """Add one sentence's attention and parse; a sentence `index` already added is not counted twice."""
        if index is not None:
            if index in self.scored:
                return
            self.scored.add(index)
        self.arcs_seen += len(p.arcs())
        self.truncated += att.dropped > 0
        wa = word_attention(att, p)
        if len(wa.parse.words) < 2:  # nothing the tokenizer kept can attend to another word
            return
        self.stats.append(_head_stats(att))
        index = self.sentences if index is None else index
        self.span = max(self.span, index + 1)
        _count_arcs(predictions(wa.weights), wa.parse, index, self)
        self.sentences += 1
        self.words += len(wa.parse.words)

    def no_arcs_reason(self) -> str:
        """Why no arc could be scored, in words."""
        if self.arcs_seen == 0:
            return (
                "no sentence has an arc between two of its words (one-word sentences, only punctuation, or "
                "every HEAD 0): the atlas needs sentences such as 'The cat sat on the mat.'"
            )
        if self.truncated:
            return (
                f"the model reads only the start of a long sentence (its token limit), and every arc leads "
                f"to words past it ({plural(self.truncated, 'sentence')} cut); split the long sentences"
            )
        return "no word at the ends of its arcs is one the model reads (only invisible or control characters)"

    def atlas(self, model: str, corpus: str) -> Atlas:
        """The atlas of the sentences added so far; NoArcs when they hold no arc to score."""
        if ALL not in self.tallies:
            raise NoArcs(f"{corpus} has no dependency arcs to score: {self.no_arcs_reason()}")
        relations = {
            relation: _relation(relation, rows, {k: Split(*self.splits[relation, k]) for k in SPLITS}, self.span)
            for relation, rows in sorted(self.tallies.items())
        }
        return Atlas(
            model=model,
            corpus=corpus,
            sentences=self.sentences,
            words=self.words,
            relations=relations,
            stats=roles.mean_stats(self.stats) if self.stats else None,
            truncated=self.truncated,
        )


def _head_stats(att: Attention) -> roles.HeadStats:
    """roles.head_stats one layer at a time: the same numbers, a sixth of its float64 copies at once."""
    parts = [roles.head_stats(replace(att, weights=att.weights[layer : layer + 1])) for layer in range(att.num_layers)]
    return roles.HeadStats(**{f: np.concatenate([p.as_dict()[f] for p in parts]) for f in roles.HeadStats.FIELDS})


def _count_arcs(pred: np.ndarray, p: Parse, index: int, tally: Tally) -> None:
    """Add one sentence's arcs to the tally: per relation a row (index, arcs, [L, H, D] hits, hits per
    offset), and the adjacent and distant arcs' totals."""
    layers, heads = pred.shape[:2]
    for relation in {r for _, _, r in p.arcs()} | {ALL}:
        arcs = p.arcs(relation)
        if not arcs:
            continue
        deps, govs = arc_ends(arcs)
        found = np.stack([pred[:, :, deps] == govs, pred[:, :, govs] == deps], axis=-1)  # [L, H, arc, D]
        hits = found.sum(2)
        per_offset = offset_hits(arcs)
        tally.tallies.setdefault(relation, []).append(
            (index, len(arcs), hits.astype(np.int32), [per_offset[o] for o in OFFSETS])
        )
        near = np.abs(govs - deps) == 1
        for split, mask in ((ADJACENT, near), (DISTANT, ~near)):
            total = tally.splits.setdefault(
                (relation, split), [0, np.zeros((layers, heads, 2), np.int64), np.zeros(len(OFFSETS), np.int64)]
            )
            total[0] += int(mask.sum())
            total[1] += found[:, :, mask].sum(2)
            total[2] += [int(((govs - deps)[mask] == o).sum()) for o in OFFSETS]


def _relation(relation: str, rows: list, split: dict[str, Split], corpus_sentences: int) -> RelationAtlas:
    """One relation's atlas from its per-sentence rows and its split."""
    index = np.array([i for i, _, _, _ in rows], dtype=np.int64)
    arcs = np.array([n for _, n, _, _ in rows], dtype=np.int64)
    correct = np.stack([h for _, _, h, _ in rows])
    offsets = np.array([o for _, _, _, o in rows], dtype=np.int64)  # [sentence, offset]
    count = int(arcs.sum())
    base = pick_offset(dict(zip(OFFSETS, offsets.sum(0).tolist())), count)
    column = OFFSETS.index(base.offset)
    return RelationAtlas(
        relation=relation,
        count=count,
        correct=correct.sum(0, dtype=np.int64),
        baseline_offset=base.offset,
        baseline_correct=int(offsets[:, column].sum()),
        sentence_arcs=arcs,
        sentence_correct=correct,
        sentence_baseline=offsets[:, column],
        sentence_index=index,
        corpus_sentences=corpus_sentences,
        split=split,
    )


def token_lengths(loaded: LoadedModel, texts: list[str]) -> list[int]:
    """Each text's tokens as the model runs it (special tokens in, cut at the model's limit)."""
    if not texts:
        return []
    encoded = loaded.tokenizer(list(texts), truncation=True, max_length=loaded.max_tokens, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def token_counter(loaded: LoadedModel) -> Callable[[list[str]], int]:
    """The model's tokens over some texts, for a corpus's cap on tokens (corpus.read_upload)."""
    return lambda texts: sum(token_lengths(loaded, texts))


def batches(loaded: LoadedModel, texts: list[str], batch_size: int = 32, budget: int = TOKEN_BUDGET) -> list[list[int]]:
    """The texts' indices in forward passes: longest (in tokens) first, each pass within the memory budget."""
    lengths = token_lengths(loaded, texts)
    order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
    return _group(order, lengths, loaded.num_layers * loaded.num_heads * 4, batch_size, budget)


def _group(order: list[int], lengths: list[int], bytes_per_pair: int, batch_size: int, budget: int) -> list[list[int]]:
    """Consecutive runs of `order` (longest first) whose attention arrays fit the budget together."""
    out: list[list[int]] = []
    for i in order:
        longest = lengths[out[-1][0]] if out else 0  # the first of a batch is its longest
        if out and len(out[-1]) < batch_size and (len(out[-1]) + 1) * longest**2 * bytes_per_pair <= budget:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def compute(
    loaded: LoadedModel,
    corpus: Corpus,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    tally: Tally | None = None,
    weighting: str = "weights",
) -> Atlas:
    """The atlas of a model over a corpus, in batched forward passes (longest first).

    `progress(done, total)` is called after each pass. A `tally` from a computation that
    was stopped (an exception in `progress`, e.g. a page's rerun) goes on from where it was.
    With weighting "norms", each sentence's attention is weighted by what the heads move
    (headscope.norms, one sentence a pass).
    """

    def run(texts: list[str]) -> list[Attention]:
        if weighting == "weights":
            return attention.run_batch(loaded, texts)
        return [norms.attend(loaded, text, weighting=weighting) for text in texts]

    parses = [p for p in corpus.parses if p.words]
    tally = Tally() if tally is None else tally
    lengths = token_lengths(loaded, [p.text for p in parses])
    order = sorted(range(len(parses)), key=lambda i: (-lengths[i], i))
    rest = [i for i in order if i not in tally.scored]  # the sentences not scored before a stop
    for batch in _group(rest, lengths, loaded.num_layers * loaded.num_heads * 4, batch_size, TOKEN_BUDGET):
        for att, i in zip(run([parses[i].text for i in batch]), batch):
            tally.add(att, parses[i], index=i)
        if progress:
            progress(tally.done, len(parses))
    return replace(tally.atlas(loaded.name, corpus.name), weighting=weighting)


def score(pairs: Iterable[tuple[Attention, Parse]], model: str, corpus: str) -> Atlas:
    """The atlas from each sentence's attention and parse."""
    tally = Tally()
    for att, p in pairs:
        tally.add(att, p)
    return tally.atlas(model, corpus)


def to_json(atlas: Atlas) -> dict:
    """The CLI's `atlas` document (DEVELOPERS.md, the CLI contract)."""
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
            "split": {k: s.as_json() for k, s in ra.split.items()},
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


_ROW_ARRAYS = ("correct", "sentence_arcs", "sentence_correct", "sentence_baseline", "sentence_index")


def _dump(atlas: Atlas) -> bytes:
    """An atlas with its raw counts as a compressed .npz file's bytes, so that it loads back exactly."""
    meta = {
        "model": atlas.model,
        "corpus": atlas.corpus,
        "sentences": atlas.sentences,
        "words": atlas.words,
        "weighting": atlas.weighting,
        "truncated": atlas.truncated,
        "relations": [
            {
                "relation": r,
                "count": ra.count,
                "baseline_offset": ra.baseline_offset,
                "baseline_correct": ra.baseline_correct,
                "corpus_sentences": ra.corpus_sentences,
            }
            for r, ra in atlas.relations.items()
        ],
        "stats": list(atlas.stats.as_dict()) if atlas.stats else None,
    }
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for i, ra in enumerate(atlas.relations.values()):
        for name in _ROW_ARRAYS:
            arrays[f"r{i}.{name}"] = getattr(ra, name)
        for k, sp in ra.split.items():
            arrays[f"r{i}.{k}.arcs"] = np.array(sp.arcs)
            arrays[f"r{i}.{k}.correct"] = sp.correct
            arrays[f"r{i}.{k}.offset_hits"] = sp.offset_hits
    if atlas.stats:
        arrays.update({f"stats.{k}": v for k, v in atlas.stats.as_dict().items()})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def save(atlas: Atlas, path: Path) -> None:
    """Write an atlas to a file (atomically), as the disk cache and data/atlas/ keep it."""
    disk.write(path, _dump(atlas))


def load(path: Path) -> Atlas:
    """Read an atlas written by `save`."""
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    meta = json.loads(a["meta"].tobytes())
    relations = {}
    for i, m in enumerate(meta["relations"]):
        split = {k: Split(int(a[f"r{i}.{k}.arcs"]), a[f"r{i}.{k}.correct"], a[f"r{i}.{k}.offset_hits"]) for k in SPLITS}
        rows = {name: a[f"r{i}.{name}"] for name in _ROW_ARRAYS}
        relations[m["relation"]] = RelationAtlas(
            relation=m["relation"],
            count=m["count"],
            baseline_offset=m["baseline_offset"],
            baseline_correct=m["baseline_correct"],
            corpus_sentences=m["corpus_sentences"],
            split=split,
            **rows,
        )
    stats = roles.HeadStats(**{k: a[f"stats.{k}"] for k in meta["stats"]}) if meta["stats"] else None
    return Atlas(
        model=meta["model"],
        corpus=meta["corpus"],
        sentences=meta["sentences"],
        words=meta["words"],
        relations=relations,
        stats=stats,
        weighting=meta["weighting"],
        truncated=meta["truncated"],
    )


def cache_key(model_name: str, corpus_text: str, weighting: str = "weights") -> str:
    """A file name for the atlas of this model, corpus, weighting and method version."""
    tag = "" if weighting == "weights" else f"\0{weighting}"
    digest = hashlib.sha256(f"{ATLAS_VERSION}\0{model_name}\0{corpus_text}{tag}".encode()).hexdigest()[:16]
    return f"atlas-{digest}.npz"


def shipped(loaded: LoadedModel, key: str = corpora.DEFAULT, weighting: str = "weights", progress=None) -> Atlas:
    """The model's atlas over a shipped corpus (corpus.SOURCES): shipped, from the disk cache, or computed once."""
    source = corpora.SOURCES[key]
    return cached(loaded, source.text(), lambda: corpora.shipped(key), progress=progress, weighting=weighting)


def cached(
    loaded: LoadedModel,
    corpus_text: str,
    make_corpus: Callable[[], Corpus],
    progress: Callable[[int, int], None] | None = None,
    weighting: str = "weights",
) -> Atlas:
    """The atlas shipped in data/atlas/ or kept in the disk cache, else computed and stored in the cache."""
    return disk.kept(
        cache_key(loaded.name, corpus_text, weighting),
        SHIPPED,
        load,
        lambda: compute(loaded, make_corpus(), progress=progress, weighting=weighting),
        _dump,
    )
