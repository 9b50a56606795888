"""Counted nouns and the few sentences the command line, the pages and the report say alike."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Collection

from headscope.panels import head_name

if TYPE_CHECKING:
    from headscope.syntax import HeadScore, RelationScores


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 token', '2 tokens', '1,000 sentences' ('nouns': an irregular plural)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def dropped_note(dropped: int) -> str:
    """'the last 1 token was dropped', 'the last 3 tokens were dropped'."""
    return f"the last {plural(dropped, 'token')} {'was' if dropped == 1 else 'were'} dropped"


def offset_words(offset: int) -> str:
    """A fixed offset in words: 'always looking 1 word to the right'."""
    return f"always looking {plural(abs(offset), 'word')} to the {'left' if offset < 0 else 'right'}"


def _found(share: float, rs: RelationScores) -> int:
    """How many of the sentence's arcs a share of them is."""
    return round(share * len(rs.arcs))


def baseline_sentence(rs: RelationScores, strong: Callable[[str], str] = str) -> str:
    """This sentence's positional baseline (the best fixed offset) in one sentence, as every page and
    the report say it; `strong` marks the offset up (Markdown's ** on a page, <b> in the report)."""
    b = rs.baseline
    if b is None or b.score == 0:
        arcs = "this arc" if len(rs.arcs) == 1 else f"these {len(rs.arcs)} arcs"
        return (
            f"Positional baseline: no fixed offset (-3 to +3 words) finds the head of any of {arcs}: "
            "a head that does is following the syntax."
        )
    return (
        f"Positional baseline: {strong(offset_words(b.offset))} (offset {b.offset:+d}) finds the head of "
        f"{_found(b.score, rs)} of {plural(len(rs.arcs), 'arc')} ({b.score:.2f})."
    )


BEATS_BASELINE = "beats baseline (this sentence)"
"""The mark on a head that finds more of this sentence's arcs than the positional baseline (evidence, not
the corpus verdict)."""


SHORT_NAMES = {
    "mean weight on arcs (this sentence)": "mean weight",
    "arcs found (this sentence)": "arcs found",
    BEATS_BASELINE: "beats baseline",
    "margin over the offset": "margin",
}
"""The pages' head tables name these columns (of `sentence_row`, `ranking_row` and the corpus verdict's) short, so
that every column shows in a 1024 px window; `COLUMN_NOTES` says under the table what each means."""
COLUMN_NOTES = {
    "direction": "dep\u2192head: the dependent attends to its head; head\u2192dep: the head attends to its dependent",
    "mean weight": "the attention the head puts on this sentence's arcs of the relation",
    "arcs found": "how often the word it attends to most (itself and [CLS]/[SEP] left out) is the right one",
    "beats baseline": "it finds more of this sentence's arcs than the best fixed offset",
    "margin": "its accuracy over the corpus minus the best fixed offset's, with the margin's 95% interval",
    "follows (corpus)": "the verdict over the corpus (the rule above; the Head atlas page picks the corpus)",
}


def sentence_row(h: HeadScore, rs: RelationScores) -> dict[str, object]:
    """A head's numbers on this sentence's arcs, as the pages' tables and the report show them."""
    found = _found(h.accuracy, rs)
    return {
        "mean weight on arcs (this sentence)": round(h.score, 3),
        "arcs found (this sentence)": f"{found}/{len(rs.arcs)}",
        BEATS_BASELINE: "yes" if rs.baseline is not None and found > _found(rs.baseline.score, rs) else "no",
    }


def ranking_row(
    h: HeadScore,
    rs: RelationScores,
    following: Collection[tuple[int, int, str]] | None,
    positional: dict[tuple[int, int], str],
) -> dict[str, object]:
    """A row of a relation's ranking of heads in this sentence, as the Syntax heads page and the report show
    it: the head, its numbers here (`sentence_row`), the corpus verdict in this direction (when there is one;
    `following` holds (layer, head, direction)) and its position mark."""
    key = (h.layer, h.head)
    return {
        "head": head_name(h.layer, h.head),
        "direction": h.direction,
        **sentence_row(h, rs),
        **({} if following is None else {"follows (corpus)": "yes" if (*key, h.direction) in following else "no"}),
        "positional": positional.get(key, ""),
    }
