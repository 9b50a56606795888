"""Syntax heads: which heads follow subject-verb, adjective-noun and other dependency links."""

import streamlit as st

from components import answer_view, cached, downloads, faults, nav, state, syntax_view
from headscope.syntax import RELATION_NAMES

nav.ensure_app()
s = state.current()
st.title("Syntax heads")
st.markdown(
    "The parser draws the sentence's grammar as arcs. Pick a relation (or click an arc): "
    "first the answer over the corpus (which heads follow it), then this sentence's evidence: the "
    "heads ranked by how much attention flows along its arcs, against a head that just looks a fixed "
    "number of words away. Positional heads come last, apart."
)
syntax_view.examples(s.text)
if not cached.text_language(s.text).english:  # the note at the top says why: no parse, the heads' attention only
    syntax_view.attention_only(s)
    st.stop()

relation = syntax_view.relation_picker()
corpus = answer_view.corpus_key(s)  # None: its failure is reported; the page goes on without it
with faults.guard("Cannot score this sentence"):  # a bad text, a parser failure, out of memory: one message
    ev = syntax_view.evidence(s.model, s.text, s.weighting, relation, corpus)  # built once per sentence
syntax_view.arc_diagram(ev)
if not ev.count:
    st.info(
        f"This sentence has no **{relation}** arc ({RELATION_NAMES[relation]}). "
        "Pick another relation or try an example above."
    )
    st.stop()

st.subheader(f"{relation}: {RELATION_NAMES[relation]}")
syntax_view.verdict_sections(ev)
syntax_view.top_heads_figure(ev)
downloads.scores_buttons(s, relation)
downloads.report_button(s, key="report_syntax")
nav.link("pages/atlas.py", "How do these heads do over a whole corpus? Open the head atlas", icon=":material/map:")
