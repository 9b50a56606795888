"""Head atlas: each head's accuracy at finding each relation's heads over a corpus."""

import math

import streamlit as st

from components import cached, faults, nav, state, streamlit_private, syntax_view
from headscope import corpus

nav.ensure_app()
s = state.current()
st.title("Head atlas")
st.markdown(
    "Over a whole corpus: for every word, does the word a head attends to most (itself and "
    "[CLS]/[SEP] left out) match its syntactic head? That is each head's **accuracy** for a "
    "relation, in the better of its two directions (Clark et al. 2019, section 4). The "
    "**baseline** always picks the word a fixed offset away (-3 to +3), the best offset per relation."
)

source = syntax_view.corpus_picker()
if source in corpus.SOURCES:
    with faults.guard("Cannot compute the atlas"):
        result = cached.corpus_atlas(s.model, s.weighting, source)
    syntax_view.atlas_view(result, key=f"atlas_{source}")
    st.caption(f"{result.corpus}: {corpus.SOURCES[source].about}.")
    st.stop()

st.markdown(
    "Plain text: one sentence a line, parsed by spaCy. CoNLL-U: the treebank's own (gold) "
    "parses; Universal Dependencies names are mapped to spaCy's (`obj`\u2192`dobj`, "
    "`nmod:poss`\u2192`poss`, `nsubj:pass`\u2192`nsubjpass`, other subtypes dropped), and a "
    "preposition, which UD hangs under its noun as `case`, is re-hung as in spaCy: the "
    "preposition under the noun's head (`prep`), the noun under the preposition (`pobj`). "
    "Multi-word token lines (`3-4`) and empty nodes (`8.1`) are skipped."
)
limits = faults.settings_or_stop(cached.policy)
upload = st.file_uploader(
    "Corpus file",
    type=["txt", "conllu"],
    key="atlas_upload",
    max_upload_size=max(1, math.ceil(limits.max_upload_bytes / 2**20)),
    help=corpus.limits_text(limits) + " A server sets its own limits (HEADSCOPE_MAX_UPLOAD_*).",
)
if upload is None:
    if streamlit_private.upload_lost("atlas_upload"):  # a chip on screen, and no file here
        st.warning(
            "The corpus file shown above is not on this server (the server that received it stopped, "
            "and another one took over this page): remove it and upload it again.",
            icon=":material/upload_file:",
        )
    st.stop()
with faults.guard("Cannot read this corpus"):
    corpus.check_size(upload.size, upload.name, limits.max_upload_bytes)  # before reading or parsing anything
result = syntax_view.uploaded_atlas(s.model, upload, limits)
if result is not None:
    syntax_view.atlas_view(result, key="atlas_upload")
