"""The answer to "which heads follow this relation?": the corpus verdict in words, this sentence's
evidence, each head's badge, and the relation's arcs as cells of the grid on screen.

Everything here reads the verdict (headscope.verdict) from an atlas; nothing re-derives it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from headscope import roles, verdict
from headscope.atlas import Atlas
from headscope.attention import Attention
from headscope.panels import head_name
from headscope.syntax import (
    DEPENDENT_TO_HEAD,
    DIRECTION_SHORT,
    DIRECTIONS,
    RELATION_NAMES,
    RELATIONS,
    Parse,
    SyntaxScores,
    align,
    oriented,
    relation_label,
)
from headscope.wording import offset_words, plural

NO_LINKS = "none"
DEFAULT_LINKS = "nsubj"
"""The relation the Heads page opens on: subject -> verb."""
LINK_CHOICES = RELATIONS + (NO_LINKS,)
"""What the Heads page's *Show links* picker (and its link parameter `links`) offers: a relation, or none."""

POSITION_BADGES = {"previous token": "previous token", "next token": "next token", "same token": "same token"}
LEGEND = (
    "Outlined cells: the chosen relation's arcs in this sentence (row: the word that attends, column: "
    "the word it should find; for a head that follows the relation the other way round, the reverse). "
    "Badges under a head's name come from the corpus, not from this sentence: *follows* = the head "
    "follows the relation (the rule below); *previous / next / same token* = over half of its attention "
    "goes to that neighbour; a special token's name = over half goes there (a no-op head)."
)


@dataclass(frozen=True)
class HeadOnArc:
    """One head, in one direction, on one arc of this sentence, in the rule's own terms."""

    layer: int
    head: int
    direction: str
    found: bool  # the word it attends to most (itself and special tokens aside) is the arc's other end
    top_word: int  # that word, as an index into the sentence's words
    weight: float  # its attention on the arc's other end (word level: special tokens keep their share)
    weight_without_special: float  # the same once what goes to special tokens is set aside

    def as_json(self) -> dict:
        """The CLI's `corpus_heads` entry."""
        return {
            "layer": self.layer,
            "head": self.head,
            "direction": self.direction,
            "found": self.found,
            "top_word": self.top_word,
            "weight": round(self.weight, 6),
            "weight_without_special": round(self.weight_without_special, 6),
        }


@dataclass(frozen=True)
class ArcEvidence:
    """One arc of the relation in this sentence: the heads that find it here, and what each corpus head does."""

    dependent: int
    head: int
    found_by: tuple[tuple[int, int, str], ...]  # every (layer, head, direction) whose top word is the other end
    corpus_heads: tuple[HeadOnArc, ...]  # each (head, direction) that follows the relation over the corpus

    def as_json(self) -> dict:
        """The CLI's `evidence` entry."""
        return {
            "dependent": self.dependent,
            "head": self.head,
            "found_by": [{"layer": layer, "head": h, "direction": d} for layer, h, d in self.found_by],
            "corpus_heads": [h.as_json() for h in self.corpus_heads],
        }


def on_arc(scores: SyntaxScores, layer: int, head: int, direction: str, dependent: int, governor: int) -> HeadOnArc:
    """What one head does on one arc of this sentence, read in one direction."""
    src, dst = oriented(direction, dependent, governor)
    row = scores.words.weights[layer, head, src]
    top = int(scores.top_words[layer, head, src])
    total = float(row.sum())
    return HeadOnArc(
        layer=layer,
        head=head,
        direction=direction,
        found=top == dst,
        top_word=top,
        weight=float(row[dst]),
        weight_without_special=float(row[dst]) / total if total > 0 else 0.0,
    )


def arc_evidence(
    scores: SyntaxScores, relation: str, corpus_heads: Sequence[verdict.HeadVerdict] = ()
) -> tuple[ArcEvidence, ...]:
    """Every arc of the relation in this sentence: which heads find it here (their top word is its other end,
    by weight), and what each of `corpus_heads` (the ones that follow it over the corpus) does on it."""
    rs = scores.relations.get(relation)
    if rs is None or not rs.arcs:
        return ()
    w, top = scores.words.weights, scores.top_words
    found = []
    for d, g, _ in rs.arcs:
        finders = []
        for direction in DIRECTIONS:
            src, dst = oriented(direction, d, g)
            for layer, head in zip(*np.nonzero(top[:, :, src] == dst)):
                finders.append((float(w[layer, head, src, dst]), int(layer), int(head), direction))
        finders.sort(key=lambda f: (-f[0], f[1], f[2], f[3]))
        found.append(
            ArcEvidence(
                dependent=d,
                head=g,
                found_by=tuple((layer, head, direction) for _, layer, head, direction in finders),
                corpus_heads=tuple(on_arc(scores, h.layer, h.head, h.direction, d, g) for h in corpus_heads),
            )
        )
    return tuple(found)


def split_rows(ra) -> list[dict[str, object]]:
    """A relation's adjacent and distant arcs apart (atlas.Split): arcs, the best offset on them and the best
    heads, one row each, as the pages and the report show them."""
    rows = []
    for name, s in ra.split.items():
        base = s.baseline
        rows.append(
            {
                "arcs": name,
                "count": s.arcs,
                "best offset": f"{base.score:.2f} at {base.offset:+d}" if base else "-",
                "best heads": ", ".join(
                    f"{head_name(layer, h)} {DIRECTION_SHORT[d]} {a:.2f}" for layer, h, d, a in s.ranked()[:3]
                )
                or "-",
            }
        )
    return rows


SPLIT_NOTE = (
    "Adjacent: the other end of the arc is the next or the previous word, which a head that always looks "
    "next door also finds; distant: it is further away. Each against the best fixed offset on those arcs alone."
)


SHOWN_ARCS = 3
"""The answer line tells this many of the sentence's arcs; the details list them all."""


@dataclass(frozen=True)
class Answer:
    """The verdict on one relation over a corpus, with this sentence's evidence on its focus head."""

    relation: str
    corpus: str
    sentences: int
    verdict: verdict.RelationVerdict | None
    words: tuple[str, ...] = ()
    arcs: tuple[ArcEvidence, ...] = ()  # this sentence's arcs, with the focus head among `corpus_heads`
    split: tuple[dict, ...] = ()  # the relation's adjacent and distant arcs over the corpus (`split_rows`)

    @property
    def focus_verdict(self) -> verdict.HeadVerdict | None:
        """The (head, direction) the answer is about: the first that follows, else the best."""
        v = self.verdict
        if v is None or not v.heads:
            return None
        return (v.follows or v.heads)[0]

    @property
    def focus(self) -> tuple[int, int] | None:
        """The head the answer is about, as (layer, head)."""
        h = self.focus_verdict
        return None if h is None else (h.layer, h.head)

    def text(self) -> str:
        """The answer in plain words (no markup): the verdict over the corpus, then this sentence's arcs."""
        name = f"{RELATION_NAMES.get(self.relation, self.relation)} ({relation_label(self.relation)})"
        v = self.verdict
        if v is None or v.count == 0:
            return f"{name}: the corpus has no such arcs, so there is no verdict."
        where = f"over {self.sentences:,} sentences of {self.corpus} ({v.count:,} arcs)"
        offset = offset_words(v.baseline_offset)
        if v.verdict == verdict.FOLLOWS:
            h = v.follows[0]
            n = len(v.follows)
            said = (
                f"{name}: {where}, {plural(n, 'head')} follow{'s' if n == 1 else ''} it"
                + (f"; the best, {_named(h)}, " if n > 1 else f": {_named(h)} ")
                + f"finds {h.accuracy:.2f} of them (+{h.margin:.2f}, 95% interval {h.margin_low:+.2f} to "
                f"{h.margin_high:+.2f}) against {v.baseline_accuracy:.2f} for {offset}."
            )
        else:
            best = v.heads[0]
            best_says = (
                f"the best head, {_named(best)}, finds {best.accuracy:.2f} "
                f"(+{best.margin:.2f}, 95% interval {best.margin_low:+.2f} to {best.margin_high:+.2f})"
            )
            if v.verdict == verdict.TOO_FEW:
                said = (
                    f"{name}: {where}, {verdict.VERDICT_WORDS[v.verdict]} (fewer than {verdict.MIN_ARCS}); {best_says}."
                )
            elif v.verdict == verdict.POSITIONAL:
                said = (
                    f"{name}: {where}, positional in this model: {offset} finds {v.baseline_accuracy:.2f} "
                    f"of the arcs and no head does clearly better; {best_says}."
                )
            else:
                said = f"{name}: {where}, no head follows it: {offset} finds {v.baseline_accuracy:.2f}; {best_says}."
        return " ".join([said] + [self.arc_text(e) for e in self.arcs[:SHOWN_ARCS]] + self._more())

    def _more(self) -> list[str]:
        """A sentence on the arcs the answer line leaves out, if any."""
        rest = len(self.arcs) - SHOWN_ARCS
        return [f"({plural(rest, 'more arc')} in this sentence: see Syntax heads.)"] if rest > 0 else []

    def arc_text(self, e: ArcEvidence) -> str:
        """What the focus head does on one arc of this sentence, in the rule's terms, and who finds it if it misses."""
        h = self.focus_verdict
        on = next(c for c in e.corpus_heads if (c.layer, c.head, c.direction) == (h.layer, h.head, h.direction))
        w = self.words
        src, dst = oriented(on.direction, e.dependent, e.head)
        arc = f"\u201c{w[e.dependent]}\u201d \u2192 \u201c{w[e.head]}\u201d"
        numbers = f"{on.weight:.2f} of its attention ({on.weight_without_special:.2f} with special tokens set aside)"
        if on.found:
            return (
                f"In this sentence {head_name(on.layer, on.head)} finds {arc}: \u201c{w[src]}\u201d attends most "
                f"to \u201c{w[dst]}\u201d: {numbers}."
            )
        return (
            f"In this sentence {head_name(on.layer, on.head)} misses {arc}: \u201c{w[src]}\u201d attends most to "
            f"\u201c{w[on.top_word]}\u201d; \u201c{w[dst]}\u201d gets {numbers}. {self._finders(e)}"
        )

    def _finders(self, e: ArcEvidence) -> str:
        """Who finds an arc the focus head misses: the corpus's own heads first, then how many others."""
        corpus = [head_name(c.layer, c.head) for c in e.corpus_heads if c.found]
        corpus = list(dict.fromkeys(corpus))
        others = {(layer, head) for layer, head, _ in e.found_by} - {(c.layer, c.head) for c in e.corpus_heads}
        if corpus:
            said = f"Of the heads that follow {self.relation}, {_listed(corpus)} find{'s' if len(corpus) == 1 else ''} it here"
            return said + (f"; {plural(len(others), 'other head')} too." if others else ".")
        if others:
            names = [head_name(layer, head) for layer, head, _ in e.found_by if (layer, head) in others]
            names = list(dict.fromkeys(names))
            return f"None of the heads that follow {self.relation} finds it here; {_listed(names[:4], len(names))} do."
        return "No head finds it here."


def _listed(names: list[str], total: int | None = None) -> str:
    """'L1H2', 'L1H2 and L3H4', 'L1H2, L3H4 and L5H6', or with `total` past them 'L1H2, L3H4 and 7 more'."""
    more = (total or len(names)) - len(names)
    if more > 0:
        return ", ".join(names) + f" and {more} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _named(h: verdict.HeadVerdict) -> str:
    """A head with its direction: 'L2H8 (dep\u2192head)'."""
    return f"{head_name(h.layer, h.head)} ({DIRECTION_SHORT[h.direction]})"


def answer(a: Atlas, relation: str, scores: SyntaxScores | None) -> Answer:
    """The answer for a relation: the corpus verdict and, where the sentence has such arcs, the evidence."""
    ra = a.relations.get(relation)
    v = ra.verdict if ra is not None else None
    result = Answer(
        relation=relation,
        corpus=a.corpus,
        sentences=a.sentences,
        verdict=v,
        split=tuple(split_rows(ra)) if ra is not None else (),
    )
    focus = result.focus_verdict
    if focus is None or scores is None:
        return result
    heads = v.follows if focus in v.follows else (focus,)
    return replace(result, words=tuple(scores.words.parse.words), arcs=arc_evidence(scores, relation, heads))


def sink_names(raw: Attention) -> dict[tuple[int, int], str]:
    """Per head, the special token it gives most attention to in this text (for a no-op head's badge)."""
    special = np.flatnonzero(np.asarray(raw.columns.special, dtype=bool))
    if special.size == 0:
        return {}
    received = raw.weights[..., special].mean(axis=2)  # [layer, head, special]
    best = received.argmax(-1)
    tokens = raw.columns.tokens
    return {
        (layer, h): tokens[special[best[layer, h]]] for layer in range(raw.num_layers) for h in range(raw.num_heads)
    }


def badges(a: Atlas, relation: str | None, sinks: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """Per head, its corpus badge: follows the relation, a fixed neighbour, or a special token ('' for none)."""
    positional = a.positional_heads()
    special = a.stats.special if a.stats is not None else None
    found: dict[tuple[int, int], str] = {}
    v = a.relations[relation].verdict if relation and relation in a.relations else None
    following = set(v.following_heads()) if v else set()
    for key in sinks.keys() | positional.keys() | following:
        if key in following:
            found[key] = f"follows {relation}"
        elif key in positional:
            found[key] = POSITION_BADGES[positional[key]]
        elif special is not None and key in sinks and special[key] > roles.SPECIAL_SHARE:
            found[key] = sinks[key]
    return found


def arc_cells(
    att: Attention, parse: Parse, relation: str, direction: str = DEPENDENT_TO_HEAD
) -> list[tuple[int, int, int, int]]:
    """Each arc of the relation as (first row, first column, last row, last column) of the tokens shown.

    Rows are the word that attends: the dependent for dependent->head, the head otherwise.
    Tokens are matched to the parser's words by character offsets (pieces or whole words alike).
    """
    if not att.square:  # cross-attention: rows and columns are two texts; the parse is of one
        return []
    rows = cols = align(att.offsets, att.special, parse.spans)
    cells = []
    for d, g, _ in parse.arcs(relation):
        attends, attended = oriented(direction, d, g)
        r, c = rows[attends], cols[attended]
        if r and c:
            cells.append((min(r), min(c), max(r), max(c)))
    return cells


Marks = tuple[dict[tuple[int, int], str], dict[tuple[int, int], list[tuple[int, int, int, int]]]]
"""(badges, outlined token ranges) per head, as headscope.canvas.marked takes them."""


def marks(
    a: Atlas, att: Attention, raw: Attention, parse: Parse | None, relation: str | None, scores: SyntaxScores | None
) -> tuple[dict, dict, Answer | None]:
    """The Heads view's badges (the corpus verdict), outlines (this sentence's arcs of `relation`, in each head's
    following direction, else its better one) and answer; `att` as drawn, `raw` its pieces (special tokens kept)."""
    found_badges = badges(a, relation, sink_names(raw))
    if relation is None:
        return found_badges, {}, None
    if parse is None:
        raise ValueError("the arcs of a relation need the sentence's parse")
    cells = {d: arc_cells(att, parse, relation, d) for d in DIRECTIONS}
    ra = a.relations.get(relation)
    outlines: dict = {}
    for h in ra.verdict.follows + ra.verdict.heads if ra is not None else ():  # a head's following direction
        outlines.setdefault((h.layer, h.head), cells[h.direction])  # first, else its better one
    return found_badges, outlines, answer(a, relation, scores)


def top_heads(
    scores: SyntaxScores,
    relation: str,
    positional: dict[tuple[int, int], str],
    following: dict[tuple[int, int, str], None],
    count: int = 4,
) -> tuple[list, Marks]:
    """The Syntax heads view's best heads for a relation: those that follow it over the corpus (`following`, best
    first), then this sentence's best non-positional ones; with their badges and the relation's arcs outlined."""
    rs = scores.relations[relation]
    corpus_rank = {key: i for i, key in enumerate(following)}  # the answer's order: best margin first
    ranked = sorted(
        rs.heads,
        key=lambda h: (
            corpus_rank.get((h.layer, h.head, h.direction), len(corpus_rank)),
            (h.layer, h.head) in positional,
        ),
    )
    top, seen = [], set()
    for h in ranked:
        if (h.layer, h.head) not in seen:
            seen.add((h.layer, h.head))
            top.append(h)
        if len(top) == count:
            break
    found_badges, outlines = {}, {}
    for h in top:
        key = (h.layer, h.head)
        mark = positional.get(key)
        follows = "follows \u00b7 " if (*key, h.direction) in following else ""
        found_badges[key] = f"{follows}{DIRECTION_SHORT[h.direction]} {h.score:.2f}" + (f" ({mark})" if mark else "")
        outlines[key] = [oriented(h.direction, d, g) * 2 for d, g, _ in rs.arcs]
    return top, (found_badges, outlines)
