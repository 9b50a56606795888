"""The answer on the Heads page: which heads follow the chosen relation (corpus verdict), this
sentence's evidence, and the relation's arcs outlined in every head (headscope.answer)."""

from __future__ import annotations

import streamlit as st

from components import cached, faults, state, tables
from components.state import Settings
from components.text import literal
from headscope import answer, verdict
from headscope.attention import Attention
from headscope.syntax import RELATION_NAMES, relation_label


def _label(relation: str) -> str:
    return "none" if relation == answer.NO_LINKS else f"{RELATION_NAMES[relation]} ({relation_label(relation)})"


def link_picker() -> str | None:
    """The relation whose arcs are outlined (None for none)."""
    st.session_state.setdefault(state.SHOW_LINKS, answer.DEFAULT_LINKS)
    choice = st.selectbox(
        "Show links",
        answer.LINK_CHOICES,
        key=state.SHOW_LINKS,
        format_func=_label,
        help="Outline this relation's arcs (from the bundled parser) in every head, and say "
        "which heads follow it over the corpus.",
    )
    return None if choice in (None, answer.NO_LINKS) else choice


def chosen_relation() -> str | None:
    """The relation the Heads page's picker (or a link) chose, for a page without the picker (presentation)."""
    choice = st.session_state.get(state.SHOW_LINKS, answer.DEFAULT_LINKS)
    return None if choice in (None, answer.NO_LINKS) else choice


def corpus_atlas(s: Settings):
    """The verdict corpus's atlas for the model, or None (the failure reported) where it cannot be had."""
    try:
        return cached.corpus_atlas(s.model, s.weighting)
    except Exception as exc:  # noqa: BLE001 - the page goes on without the corpus verdict
        faults.report(exc, "Cannot say which heads follow the relation")
        return None


def corpus_key(s: Settings) -> str | None:
    """The session's verdict corpus (for a cached function's key), or None where its atlas cannot be had."""
    return state.verdict_corpus() if corpus_atlas(s) is not None else None


def marks(s: Settings, att: Attention, relation: str | None) -> tuple[dict, dict, answer.Answer | None]:
    """(badges, outlines, answer) for the grid on screen: the corpus verdict and this sentence's arcs.

    A failure here (a model the atlas cannot score, a parser error) is reported and the grid
    is drawn without them.
    """
    if s.kind != "encoder":  # a decoder's target or cross-attention: the parse is of another text
        return {}, {}, None
    a = corpus_atlas(s)
    if a is None:
        return {}, {}, None
    try:
        raw = cached.raw_attention(s.model, s.text, s.target, s.kind)
        parse = cached.sentence_parse(s.text) if relation else None  # no relation: badges only, no parse
        scores = cached.sentence_syntax(s.model, s.text, s.weighting) if relation else None
        return answer.marks(a, att, raw, parse, relation, scores)
    except Exception as exc:  # noqa: BLE001 - the heatmaps are drawn whatever happens here
        faults.report(exc, "Cannot say which heads follow the relation")
        return {}, {}, None


def answer_line(result: answer.Answer | None) -> None:
    """The answer for the chosen relation in one paragraph, the rule and the legend under it."""
    if result is None:
        return
    icon = {verdict.FOLLOWS: ":material/check_circle:", verdict.POSITIONAL: ":material/swap_horiz:"}.get(
        result.verdict.verdict if result.verdict else "", ":material/help:"
    )
    st.info(literal(result.text()), icon=icon)
    with st.expander("How is this decided? What do the outlines and badges mean?"):
        st.markdown(literal(verdict.RULE))
        if result.split:
            st.markdown(f"**Position or syntax?** {result.relation}'s arcs over the corpus, told apart:")
            tables.show(tables.markdown(result.split))
            st.caption(answer.SPLIT_NOTE)
        st.markdown(answer.LEGEND)
