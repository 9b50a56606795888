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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from headscope import attention, norms, roles, verdict
from headscope.attention import Attention
from headscope.corpus import Corpus
from headscope.models import LoadedModel
from headscope.syntax import (
    ALL,
    DIRECTIONS,
    OFFSETS,
    Parse,
    ParseError,
    arc_ends,
    offset_hits,
    pick_offset,
    predictions,
    word_attention,
)
from headscope.wording import plural

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
        return verdict.decide(
            self.relation,
            self.count,
            self.baseline_offset,
            self.sentence_arcs,
            self.sentence_correct,
            self.sentence_baseline,
            DIRECTIONS,
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
    sentences: int = 0  # sentences scored (two or more words the model read)
    words: int = 0
    arcs_seen: int = 0  # scored arcs in the parses of the sentences run, before truncation
    truncated: int = 0  # sentences longer than the model reads (cut at its token limit)
    tallies: dict = field(default_factory=dict)  # relation -> per sentence (arcs, hits [L, H, D], hits per offset)
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
        self.sentences += 1
        self.words += len(wa.parse.words)
        _count_arcs(predictions(wa.weights), wa.parse, self.tallies)

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
        relations = {relation: _relation(relation, rows) for relation, rows in sorted(self.tallies.items())}
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


def _count_arcs(pred: np.ndarray, p: Parse, tallies: dict[str, list]) -> None:
    """Add one sentence's arcs to the per-relation lists: (arcs, [L, H, D] hits, hits per offset)."""
    for relation in {r for _, _, r in p.arcs()} | {ALL}:
        arcs = p.arcs(relation)
        if not arcs:
            continue
        deps, govs = arc_ends(arcs)
        hits = np.stack([(pred[:, :, deps] == govs).sum(-1), (pred[:, :, govs] == deps).sum(-1)], axis=-1)
        per_offset = offset_hits(arcs)
        tallies.setdefault(relation, []).append((len(arcs), hits.astype(np.int32), [per_offset[o] for o in OFFSETS]))


def _relation(relation: str, rows: list) -> RelationAtlas:
    """One relation's atlas from its per-sentence rows."""
    arcs = np.array([n for n, _, _ in rows], dtype=np.int64)
    correct = np.stack([h for _, h, _ in rows])
    offsets = np.array([o for _, _, o in rows], dtype=np.int64)  # [sentence, offset]
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
            r: {
                "count": ra.count,
                "correct": ra.correct.tolist(),
                "baseline_offset": ra.baseline_offset,
                "baseline_correct": ra.baseline_correct,
                "sentence_arcs": ra.sentence_arcs.tolist(),
                "sentence_correct": ra.sentence_correct.tolist(),
                "sentence_baseline": ra.sentence_baseline.tolist(),
            }
            for r, ra in atlas.relations.items()
        },
        "stats": {k: v.tolist() for k, v in atlas.stats.as_dict().items()} if atlas.stats else None,
        "weighting": atlas.weighting,
        "truncated": atlas.truncated,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)


def _load(path: Path) -> Atlas:
    """Read an atlas written by _save."""
    doc = json.loads(path.read_text())
    relations = {
        r: RelationAtlas(
            relation=r,
            count=v["count"],
            correct=np.array(v["correct"], dtype=np.int64),
            baseline_offset=v["baseline_offset"],
            baseline_correct=v["baseline_correct"],
            sentence_arcs=np.array(v["sentence_arcs"], dtype=np.int64),
            sentence_correct=np.array(v["sentence_correct"], dtype=np.int32),
            sentence_baseline=np.array(v["sentence_baseline"], dtype=np.int64),
        )
        for r, v in doc["relations"].items()
    }
    stats = roles.HeadStats(**{k: np.array(v) for k, v in doc["stats"].items()}) if doc.get("stats") else None
    return Atlas(
        model=doc["model"],
        corpus=doc["corpus"],
        sentences=doc["sentences"],
        words=doc["words"],
        relations=relations,
        stats=stats,
        weighting=doc.get("weighting", "weights"),
        truncated=doc.get("truncated", 0),
    )


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


def cached(
    loaded: LoadedModel,
    corpus_text: str,
    make_corpus: Callable[[], Corpus],
    progress: Callable[[int, int], None] | None = None,
    weighting: str = "weights",
) -> Atlas:
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
