"""The answer to "which heads follow this relation?": the corpus verdict in words, this sentence's
evidence, each head's badge, and the relation's arcs as cells of the grid on screen.

Everything here reads the verdict (headscope.verdict) from an atlas; nothing re-derives it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headscope import roles, verdict
from headscope.atlas import Atlas
from headscope.attention import Attention
from headscope.panels import head_name
from headscope.syntax import DEPENDENT_TO_HEAD, RELATION_NAMES, RELATIONS, Parse, SyntaxScores, align, oriented
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
class Evidence:
    """What one head does on one arc of this sentence."""

    layer: int
    head: int
    direction: str
    source: str  # the word that attends
    target: str  # the word attended to
    weight: float


@dataclass(frozen=True)
class Answer:
    """The verdict on one relation over a corpus, with this sentence's evidence."""

    relation: str
    corpus: str
    sentences: int
    verdict: verdict.RelationVerdict | None
    evidence: Evidence | None

    @property
    def focus(self) -> tuple[int, int] | None:
        """The head the answer is about: the first that follows, else the best."""
        v = self.verdict
        if v is None or not v.heads:
            return None
        h = (v.follows or v.heads)[0]
        return h.layer, h.head

    def text(self) -> str:
        """The answer in plain words (no markup)."""
        name = f"{RELATION_NAMES.get(self.relation, self.relation)} ({self.relation})"
        v = self.verdict
        if v is None or v.count == 0:
            return f"{name}: the corpus has no such arcs, so there is no verdict."
        where = f"over {self.sentences:,} sentences of {self.corpus} ({v.count:,} arcs)"
        offset = offset_words(v.baseline_offset)
        if v.verdict == verdict.FOLLOWS:
            heads = "; ".join(
                f"{head_name(h.layer, h.head)} finds {h.accuracy:.2f} of them "
                f"(+{h.margin:.2f}, 95% interval {h.margin_low:+.2f} to {h.margin_high:+.2f})"
                for h in v.follows[:3]
            )
            more = f" and {len(v.follows) - 3} more" if len(v.follows) > 3 else ""
            said = (
                f"{name}: {where}, {plural(len(v.follows), 'head')} follow{'s' if len(v.follows) == 1 else ''} "
                f"it: {heads}{more}, against {v.baseline_accuracy:.2f} for {offset}."
            )
        else:
            best = v.heads[0]
            best_says = (
                f"the best head, {head_name(best.layer, best.head)}, finds {best.accuracy:.2f} "
                f"(+{best.margin:.2f}, 95% interval {best.margin_low:+.2f} to {best.margin_high:+.2f})"
            )
            if v.verdict == verdict.POSITIONAL:
                said = (
                    f"{name}: {where}, positional in this model: {offset} finds {v.baseline_accuracy:.2f} "
                    f"of the arcs and no head does clearly better; {best_says}."
                )
            elif v.count < verdict.MIN_ARCS:
                said = f"{name}: {where}, too few arcs for a verdict (fewer than {verdict.MIN_ARCS}); {best_says}."
            else:
                said = f"{name}: {where}, no head follows it: {offset} finds {v.baseline_accuracy:.2f}; {best_says}."
        e = self.evidence
        if e is not None:
            said += (
                f" In this sentence, {head_name(e.layer, e.head)} puts {e.weight:.2f} of the attention of "
                f"\u201c{e.source}\u201d on \u201c{e.target}\u201d."
            )
        return said


def evidence(scores: SyntaxScores, relation: str, layer: int, head: int, direction: str) -> Evidence | None:
    """What the head does on the relation's first arc in this sentence (word level, Clark et al.)."""
    rs = scores.relations.get(relation)
    if rs is None or not rs.arcs:
        return None
    d, g, _ = rs.arcs[0]
    src, dst = oriented(direction, d, g)
    words = scores.words.parse.words
    return Evidence(
        layer=layer,
        head=head,
        direction=direction,
        source=words[src],
        target=words[dst],
        weight=float(scores.words.weights[layer, head, src, dst]),
    )


def answer(a: Atlas, relation: str, scores: SyntaxScores | None) -> Answer:
    """The answer for a relation: the corpus verdict and, where the sentence has such an arc, the evidence."""
    ra = a.relations.get(relation)
    v = ra.verdict if ra is not None else None
    result = Answer(relation=relation, corpus=a.corpus, sentences=a.sentences, verdict=v, evidence=None)
    focus = result.focus
    if focus is None or scores is None:
        return result
    h = v.head(*focus)
    return Answer(
        relation=relation,
        corpus=a.corpus,
        sentences=a.sentences,
        verdict=v,
        evidence=evidence(scores, relation, h.layer, h.head, h.direction),
    )


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
    following = {(h.layer, h.head) for h in v.follows} if v else set()
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
