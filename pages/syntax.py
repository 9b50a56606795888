"""Syntax heads: which heads follow subject-verb, adjective-noun and other dependency links."""

import streamlit as st

from components import downloads, engine, faults, nav, sidebar, syntax_view
from headscope.syntax import RELATION_NAMES

nav.ensure_app()
s = sidebar.current()
st.title("Syntax heads")
st.markdown(
    "The parser draws the sentence's grammar as arcs. Pick a relation (or click an arc's label): "
    "the heads are ranked by how much attention flows along its arcs, in both directions, and "
    "compared with a head that just looks a fixed number of words away."
)
syntax_view.examples(s.text)

with faults.guard("Cannot score this sentence"):  # a bad text, a parser failure, out of memory: one message
    scores = engine.sentence_syntax(s.model, s.text)

relation = syntax_view.relation_picker()
syntax_view.arc_diagram(scores, relation)
rs = scores.relations[relation]
if not rs.arcs:
    st.info(f"This sentence has no **{relation}** arc ({RELATION_NAMES[relation]}). "
            "Pick another relation or try an example above.")
    st.stop()

with faults.guard("Cannot score this sentence"):
    positional = engine.positional_heads(s.model, s.text)
st.subheader(f"{relation}: {RELATION_NAMES[relation]}")
st.markdown(syntax_view.describe_baseline(rs))
syntax_view.ranking_table(rs, positional)
st.caption(
    "Mean weight: the attention the head puts on the arcs (dependent\u2192head: the dependent "
    "attends to its head). Arcs found: how often the word it attends to most (itself and "
    "[CLS]/[SEP] left out) is the right one. Positional: over half of its attention goes to "
    "the previous, the same or the next token in this sentence (Clark et al. 2019), so do "
    "not read it as syntax."
)
syntax_view.top_heads_figure(s, scores, rs, positional)
downloads.scores_buttons(rs)
downloads.report_button(s, key="report_syntax")
nav.link("pages/atlas.py", "How do these heads do over a whole corpus? Open the head atlas", icon=":material/map:")
