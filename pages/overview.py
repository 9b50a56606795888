"""Model overview: what kind of head each one is, for this sentence or over the corpus."""

import streamlit as st

from components import cached, faults, heatmaps, nav, roles_view, state
from headscope.panels import head_name

nav.ensure_app()
s = state.current()
st.title("Model overview")
st.markdown(
    "Every head of the model in one grid, coloured by what it mostly does: look at the previous "
    "or next word, park its attention on [CLS]/[SEP] (a no-op), follow the grammar, or spread "
    "out. Click a head to see its heatmap and its numbers."
)
roles_view.thresholds()

with faults.model_run():
    sentence_stats = cached.head_stats(s)

with faults.guard("Cannot compute the atlas"):  # as on the Head atlas page
    corpus_atlas = cached.corpus_atlas(s.model)
syntactic = corpus_atlas.syntactic_relations()

over_corpus = st.toggle(
    "Averaged over the corpus",
    key=state.OVERVIEW_CORPUS,
    help=f"Mean statistics over the {corpus_atlas.sentences:,} sentences of {corpus_atlas.corpus}.",
)
stats = corpus_atlas.stats if over_corpus else sentence_stats
where = f"{corpus_atlas.corpus} ({corpus_atlas.sentences:,} sentences)" if over_corpus else "this sentence"
clicked = roles_view.role_grid(stats, syntactic, f"Head roles over {where}")
st.caption(
    f"**syntactic** comes from the corpus verdict (the heads that follow a relation over the "
    f"{corpus_atlas.sentences:,} sentences of {corpus_atlas.corpus}; rule under *How roles are decided*); "
    f"every other role from the statistics of {where}."
)
roles_view.all_heads_table(stats, syntactic)

if clicked is None:
    st.caption("Click a cell of the grid to open that head.")
else:
    layer, head = clicked
    st.subheader(head_name(layer, head))
    if (layer, head) in syntactic:
        st.markdown(roles_view.follows_line(corpus_atlas, layer, head))
    left, right = st.columns([3, 2])
    with left:
        heatmaps.head_large(s, layer, head, title=False)
    with right:
        roles_view.numbers(layer, head, sentence_stats, corpus_atlas.stats)
