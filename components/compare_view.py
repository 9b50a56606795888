"""Pieces of the Compare page: the difference (token by token, or over the words both texts share),
per-head statistics side by side, and the head rankings of both."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components import answer_view, cached, faults, heatmaps, links, state, syntax_view, tables
from components.state import Settings
from components.text import literal
from headscope import compare, wording
from headscope.attention import Attention
from headscope.panels import head_name, parse_head_name
from headscope.wording import plural

ALIGN_KEY = state.COMPARE_ALIGN
"""Same shapes, other tokens: line the texts up by position or by the words they share."""
ALIGN = dict(zip(compare.ALIGNMENTS, ("Token by token (by position)", "The words both share")))
STAT_KEY = state.COMPARE_STAT
HEAD_KEY = state.COMPARE_HEAD
"""The head clicked in one of the statistics grids ("L3H1", or "")."""
STAT_ROW = "compare_stats"
"""The statistics' row: A and B (one grid), A minus B (a click on either is the row's)."""


def difference(s: Settings, second: Settings, a: Attention, b: Attention, layer: int, mode: str) -> None:
    """A minus B: token by token where the shapes match, else over the words both texts share."""
    same_shape = a.weights.shape[1:] == b.weights.shape[1:]
    by_words = not same_shape
    if same_shape and (a.tokens != b.tokens or a.columns.tokens != b.columns.tokens):
        choice = st.radio("Line the two up", list(ALIGN), key=ALIGN_KEY, horizontal=True, format_func=ALIGN.get)
        by_words = choice == "words"
    if by_words:
        shared_words(s, second, a, b, layer, mode)
        return
    st.markdown("Compared: A's and B's attention, token by token, in the heads of this layer.")
    heatmaps.show(cached.difference_canvas(s, second, layer), key="compare_diff", name=f"difference-layer{layer}")
    st.caption("Red: A attends more; blue: B attends more. Where the tokens differ, the label shows both (A/B).")


def shared_words(s: Settings, second: Settings, a: Attention, b: Attention, layer: int, mode: str) -> None:
    """A's and B's attention among the words both texts have, and A minus B."""
    with faults.guard("Cannot line the two up"):
        shared = cached.shared_words(s, second)
    if not shared.any_word:
        other = "sentences: try two that share words, such as 'The cat sat.' and 'The cats that the dog chased sat.'"
        st.caption("Nothing to compare: no word is in both " + (other if mode == "sentences" else "texts."))
        return
    names = ", ".join(f"“{w}”" for w in shared.rows.labels_a[:12]) + ("…" if shared.count > 12 else "")
    st.markdown(
        f"Compared: the attention among the {plural(shared.count, 'word')} both have ({literal(names)}), in A and in B."
    )
    st.caption(
        "Attention to a word sums its pieces, from a word averages them; what a word gives to words of "
        "its own text only is left out, so rows add up to less than 1. A word that occurs twice is "
        "matched in order: the first *the* of A with the first *the* of B."
    )
    heatmaps.row(
        [cached.shared_canvas(s, second, layer, side) for side in "ab"],
        key="compare_shared",
        names=[f"compare_shared_{side}-layer{layer}" for side in "ab"],
        headings=[f"{side}, among the shared words" for side in "AB"],
    )
    if a.num_heads != b.num_heads:
        st.caption(f"No difference: A has {a.num_heads} heads a layer and B {b.num_heads}.")
        return
    st.markdown("**A minus B, among the shared words**")
    heatmaps.show(
        cached.shared_canvas(s, second, layer, "difference"),
        key="compare_shared_diff",
        name=f"shared-difference-layer{layer}",
    )
    st.caption(
        "Red: A attends more; blue: B attends more. Where a word sits at another position, the "
        "label shows both, A's first (the\u00b76/the\u00b74: *the* is token 6 of A and token 4 of B)."
    )


def statistics(s: Settings, second: Settings) -> None:
    """Every head's statistic for A and B, side by side, and A minus B; a click on a head shows its numbers."""
    choice = st.selectbox("Statistic", compare.CHOICES, key=STAT_KEY, format_func=compare.statistic_name)
    st.markdown(
        "Compared: one number per head, for A and for B, that does not grow with the text (a mean over "
        "its tokens, or the share of a relation's arcs found), so any two texts, or two models, line up."
    )
    with faults.guard("Cannot compute the statistics"):
        grids = cached.statistic_canvas(s, second, choice)
    session = st.session_state
    clicked = heatmaps.new_click(STAT_ROW)  # on A's grid or B's (models of other sizes): checked against both below
    if clicked is not None:
        session[HEAD_KEY] = head_name(*clicked)
    where = "both models" if s.model != second.model else "this model"
    links.check_head(HEAD_KEY, min(d["rows"] for d in grids), min(d["cols"] for d in grids), where)
    head = parse_head_name(session.get(HEAD_KEY) or "")
    if head is not None and not all(head[0] < data["rows"] and head[1] < data["cols"] for data in grids):
        head = None  # clicked in a larger model: not a head of both
    together = len(grids[0]["panels"]) == 2  # A and B in one grid, then A minus B
    what = choice.replace(":", "-")
    heatmaps.row(
        list(grids),
        key=STAT_ROW,
        names=[f"compare_stats-{what}", f"compare_stats_diff-{what}"]
        if together
        else [f"compare_stats_{side}-{what}" for side in "ab"],
        widths=[2, 1] if together else [1, 1],
        selected=head,
    )
    if not together:
        st.caption("No difference: the two models' layers and heads differ in number.")
    if head is None:
        st.caption("Click a head to see its numbers and its heatmap in A and in B.")
        return
    one_head(s, second, *head)


def one_head(s: Settings, second: Settings, layer: int, head: int) -> None:
    """One head's statistics for A and B, and its heatmap in each."""
    st.markdown(f"#### {head_name(layer, head)}")
    with faults.guard("Cannot compute the statistics"):
        stats = cached.head_stats(s), cached.head_stats(second)
    rows = []
    for field in compare.STATISTICS:
        x, y = (float(getattr(one, field)[layer, head]) for one in stats)
        rows.append(
            {"statistic": compare.statistic_name(field), "A": round(x, 3), "B": round(y, 3), "A − B": round(x - y, 3)}
        )
    tables.show(tables.markdown(rows))
    for column, setting, title, key in zip(
        st.columns(2), (s, second), ("A", "B"), ("compare_head_a", "compare_head_b")
    ):
        with column:
            st.markdown(f"**{title}**")
            heatmaps.head_large(setting, layer, head, title=False, key=key)


def rankings(names: tuple[str, str], settings: tuple[Settings, Settings]) -> None:
    """Each text's best heads for a relation, one table under the other: every column shows in a 1024 px window."""
    relation = syntax_view.relation_picker()
    for name, setting, last in zip(names, settings, (False, True)):
        ranking(name, setting, relation, notes=last)  # what the columns mean: once, under the last


@dataclass(frozen=True)
class Ranking:
    """One text's ranking for a relation, ready to draw: its baseline and its table (both Markdown; both "": no arc)."""

    baseline: str
    table: str


@cached.shared  # here, not in components/cached.py: it builds syntax_view's table, and cached imports no component
def _ranking(model_id: str, text: str, weighting: str, relation: str, rows: int, corpus: str | None) -> Ranking:
    """The table and baseline of one text's best heads, built once for every view (as Markdown: no
    conversion on each view, and no scores copied out of the cache).

    `corpus`: the verdict corpus whose atlas could be had (`answer_view.corpus_key`), so the table says which
    heads follow the relation over it; None: it could not."""
    rs = cached.sentence_syntax(model_id, text).relations[relation]
    if not rs.arcs:
        return Ranking("", "")
    following = (
        syntax_view.following_heads(cached.corpus_atlas(model_id, weighting, corpus), relation) if corpus else None
    )
    ranked = syntax_view.ranking_rows(rs, cached.positional_heads(model_id, text), following, rows=rows)
    return Ranking(syntax_view.describe_baseline(rs), syntax_view.head_table(ranked, drop=("positional",)))


def ranking(name: str, setting: Settings, relation: str, notes: bool = True) -> None:
    """One text's best heads for the relation (positional heads left out), with its baseline (and, if `notes`,
    what the columns mean)."""
    title = f"**{literal(name[:80])}**"
    corpus = answer_view.corpus_key(setting)  # None: it said why; the table goes without it
    try:
        r = _ranking(setting.model, setting.text, setting.weighting, relation, 6, corpus)
    except Exception as exc:  # noqa: BLE001 - a bad text, a parser failure: say so, draw the other side
        st.markdown(title)
        faults.report(exc, "Cannot rank the heads")
        return
    if not r.baseline:
        st.markdown(f"{title}\n\nNo {relation} arc here.")
        return
    st.markdown(f"{title}\n\n{r.baseline}")  # one element, not two: each costs a first view its rendering
    tables.show(
        r.table, notes=wording.COLUMN_NOTES if notes else None, empty="Every head is positional here: none to rank."
    )
