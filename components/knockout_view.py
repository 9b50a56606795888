"""Pieces of the Switch heads off page: the head picker, the grids before and after, the output, importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import cached, faults, heatmaps, links, plotly_chart, tables
from components.charts import file_name
from headscope import canvas, export, knockout
from headscope.figures import bars_figure
from headscope.knockout import Importance, Knockout
from headscope.panels import head_name

HEADS_KEY, ABLATION_KEY, LAYER_KEY = "knockout_heads", "knockout_ablation", "knockout_layer"

EXPLAIN = (
    "A switched-off head still looks where it looked (its own attention is computed before its output), "
    "but what it would have passed on is replaced: by zeros, or by its mean output over this sentence's "
    "tokens. The heads of later layers then read a changed input, and their attention and the model's "
    "output change. Heads are numbered from 0: L2H8 is layer 2, head 8."
)
CAVEATS = (
    "**What this does not show.** Other heads can take over the work of a head that is switched off, so a "
    "small change does not prove the head is useless, and switching two heads off can matter more than "
    "the sum of each alone. Zero is one choice of what a silent head passes on, its mean is another "
    "(zero also removes the part of its output that never depends on the sentence): try both. One "
    "sentence is one example; the corpus column averages over the bundled corpus."
)


# --- cached results (one cache for every text's results: components/cached.py) -----------------


@st.cache_resource(
    show_spinner="Switching every head off, sentence by sentence, over the bundled corpus (once for this model)…",
    max_entries=4,
)
def corpus_importance(model_id: str, ablation: str) -> Importance:
    """Every head switched off on its own, averaged over the bundled corpus (from the disk cache, else computed)."""
    return knockout.bundled_importance(cached.loaded_model(model_id), ablation)


def _corpus_column(model_id: str, ablation: str) -> Importance | None:
    """The corpus importance if it is on disk or asked for; else a button that computes it (minutes, once)."""
    found = knockout.cached_bundled_importance(cached.loaded_model(model_id), ablation)
    if found is not None:
        return found
    st.caption(
        "The average over the bundled corpus is not computed yet for this model: it switches every "
        "head off in each of its sentences, a few minutes on a small server, once."
    )
    if st.button("Average over the bundled corpus", key=f"knockout_corpus_{ablation}"):
        with faults.guard("Cannot switch every head off over the corpus"):
            return corpus_importance(model_id, ablation)
    return None


# --- the picker ---------------------------------------------------------------------------


def pickers(num_layers: int, num_heads: int) -> tuple[tuple[tuple[int, int], ...], str]:
    """The heads to switch off (L0H0...) and zero or mean."""
    names = [head_name(layer, head) for layer in range(num_layers) for head in range(num_heads)]
    given = st.session_state.get(HEADS_KEY) or []
    dropped = [n for n in given if n not in names]  # a link's, or a larger model's
    if dropped:
        links.reset(
            HEADS_KEY,
            [n for n in given if n in names],
            f"{'head' if len(dropped) == 1 else 'heads'} {', '.join(dropped[:5])}{', …' if len(dropped) > 5 else ''} "
            f"{'does' if len(dropped) == 1 else 'do'} not exist in this model (layers 0 to {num_layers - 1}, "
            f"heads 0 to {num_heads - 1}): not switched off",
        )
    _add_clicked(names)
    left, right = st.columns([3, 1])
    chosen = left.multiselect("Heads to switch off", names, key=HEADS_KEY, placeholder="Pick heads, e.g. L2H8")
    ablation = right.radio(
        "Replace their output by",
        knockout.ABLATIONS,
        key=ABLATION_KEY,
        horizontal=True,
        format_func=lambda a: {"zero": "zero", "mean": "its mean"}[a],
    )
    heads = tuple(knockout.parse_heads(chosen, num_layers, num_heads)) if chosen else ()
    return heads, ablation


CLICK_GRIDS = ("knockout_change", "knockout_importance", "knockout_importance_corpus", "knockout_gradient")


def _add_clicked(names: list[str]) -> None:
    """A head clicked in one of the page's layer x head grids joins the heads switched off (once per click)."""
    state = st.session_state
    for key in CLICK_GRIDS:
        head = heatmaps.new_click(key)
        name = head_name(*head) if head is not None else None
        if name in names and name not in (state.get(HEADS_KEY) or []):
            state[HEADS_KEY] = [*(state.get(HEADS_KEY) or []), name]


# --- drawing ------------------------------------------------------------------------------


def _heads(values: np.ndarray, title: str, scale_title: str, key: str, marks: np.ndarray | None = None) -> None:
    """A layer x head grid of one number per head; a click on a head adds it to the heads switched off."""
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    hover = [
        [f"{head_name(layer, h)}: {scale_title} {values[layer, h]:.4g}" for h in range(values.shape[1])]
        for layer in range(values.shape[0])
    ]
    data = canvas.heads_grid(values, title, canvas.Scale(scale_title, 0.0, top or 1.0), hover=hover, marks=marks)
    heatmaps.show(data, key=key, name=key)


def grids(k: Knockout) -> None:
    """A layer's heads intact and knocked out, their difference, and how much every head's attention changed."""
    layers = k.intact.num_layers
    if st.session_state.get(LAYER_KEY, 0) >= layers:
        st.session_state[LAYER_KEY] = 0
    first = min(k.first_changed_layer(), layers - 1)
    change = np.abs(k.difference).max(axis=(2, 3))
    st.markdown(
        "**How much each head's attention changed** (the largest change of one weight, switched off "
        "minus intact). Heads before the first switched-off layer cannot change."
    )
    _heads(change, "largest |change| of a weight", "largest |change|", "knockout_change")
    layer = st.select_slider("Layer", options=list(range(layers)), key=LAYER_KEY)
    if layer < first:
        st.caption(
            f"Layer {layer} comes before the first layer whose attention can change (layer "
            f"{first}): both grids are the same."
        )
    name = f"L{layer}"
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Intact**, layer {layer}")
        heatmaps.show(canvas.layer_data(k.intact, layer), key="knockout_grid_intact", name=f"knockout-intact-{name}")
    with right:
        st.markdown(f"**Switched off: {', '.join(head_name(*h) for h in k.heads)}**, layer {layer}")
        heatmaps.show(canvas.layer_data(k.knocked_out, layer), key="knockout_grid_knocked", name=f"knockout-off-{name}")
    st.markdown(f"**Switched off minus intact**, layer {layer}: red, more attention without the heads; blue, less.")
    heatmaps.show(
        canvas.difference_data(k.knocked_out, k.intact, layer, value_name="change"),
        key="knockout_difference",
        name=f"knockout-difference-{name}",
    )


def output(k: Knockout) -> None:
    """What the model outputs, intact and knocked out: the embedding's cosine, or the top words."""
    st.subheader("What the model outputs")
    if k.embedding_cosine is not None:
        st.metric("Cosine between the sentence embeddings (1 = unchanged)", f"{k.embedding_cosine:.4f}")
        st.caption(
            f"The sentence embedding is the model's own: {' + '.join(k.pooling)} pooling of the last "
            "layer's token vectors."
        )
    for p in k.predictions or ():
        where = "The next word" if k.task == knockout.NEXT else f"At {k.intact.tokens[p.position]} (token {p.position})"
        st.markdown(f"**{where}**")
        words = {
            "intact": [f"{w.word} ({w.probability:.2f})" for w in p.intact],
            "switched off": [f"{w.word} ({w.probability:.2f})" for w in p.knocked_out],
        }
        tables.show(tables.markdown(pd.DataFrame(words)))
    if k.task == knockout.MASKED and not k.predictions:
        st.info(
            "This model predicts masked words: write [MASK] in the sentence, e.g. "
            "'The keys to the old cabinet [MASK] on the table.'"
        )
    fig = bars_figure(
        list(k.intact.tokens),
        {"1 - cosine": k.token_change},
        "Each token's change: 1 - cosine between its last-layer vector intact and knocked out",
    )
    plotly_chart.show(fig, key="knockout_token_change", name="knockout-token-change")  # as every bar chart


def arcs(k: Knockout) -> None:
    """The attention along the sentence's subject-verb and adjective-noun arcs, before and after."""
    st.subheader("Along the sentence's arcs")
    if not cached.text_language(k.intact.text).english:
        st.caption("No arcs: the parser reads English only (see the note at the top of the page).")
        return
    if not k.arcs:
        st.caption("The parser found no subject -> verb (nsubj) or adjective -> noun (amod) arc in this sentence.")
        return
    rows = []
    for a in k.arcs:
        layer, head = a.largest
        rows.append(
            {
                "arc": f"{a.source} -> {a.target}",
                "relation": a.relation,
                "direction": a.direction,
                "head that changed most": head_name(layer, head),
                "intact": round(float(a.intact[layer, head]), 3),
                "switched off": round(float(a.knocked_out[layer, head]), 3),
                "mean |change| over heads": round(float(np.abs(a.change).mean()), 4),
            }
        )
    tables.show(tables.markdown(pd.DataFrame(rows)))
    st.caption("Word-level attention (Clark et al. 2019: to a word, the sum over its pieces; from a word, the mean).")


def importance(model_id: str, text: str, ablation: str) -> None:
    """Every head switched off on its own: this sentence beside the bundled corpus."""
    st.subheader("Which heads matter: every head switched off on its own")
    with faults.guard("Cannot switch every head off"):
        one = cached.sentence_importance(model_id, text, ablation)
    st.caption(f"Effect: {one.measure}. Darker: the model needs the head more.")
    left, right = st.columns(2)
    with right:
        corpus = _corpus_column(model_id, ablation)
    shown = [(left, one, "this sentence", "knockout_importance")]
    if corpus is not None:
        shown.append((right, corpus, f"bundled corpus ({corpus.sentences:,} sentences)", "knockout_importance_corpus"))
    follows = _following_heads(model_id, one.effect.shape)
    for col, imp, title, key in shown:
        with col:
            _heads(imp.effect, title, "effect", key, follows)
    if follows is not None:
        st.caption(
            "Outlined: the heads that follow a relation over the verdict corpus (Head atlas). Click a head "
            "in any of these grids to switch it off too."
        )
    if one.gradient is not None:
        st.caption(
            "Michel et al. 2019's gradient score: "
            + knockout.gradient_measure(knockout.task(cached.loaded_model(model_id)))
        )
        _heads(one.gradient, "gradient score, this sentence", "|d loss / d gate|", "knockout_gradient", follows)
    else:
        st.caption("No gradient score: " + knockout.NO_GRADIENT + ".")


def _following_heads(model_id: str, shape: tuple[int, int]) -> np.ndarray | None:
    """Heads that follow any relation over the verdict corpus, as a [layer, head] mask; None without an atlas."""
    try:
        atlas = cached.corpus_atlas(model_id)
    except Exception:  # noqa: BLE001 - the grids stand without the outlines (the Head atlas page says why)
        return None
    marks = np.zeros(shape, dtype=bool)
    for layer, head in atlas.syntactic_relations():
        if layer < shape[0] and head < shape[1]:
            marks[layer, head] = True
    return marks


def downloads(model_id: str, text: str, heads: tuple[tuple[int, int], ...], ablation: str) -> None:
    """The knockout and the importance grid as .json, the same documents as the command line's.

    The buttons keep the settings, not the results (Streamlit keeps a download's callable with
    the session); the results come from the shared cache when clicked.
    """
    left, right = st.columns(2)
    if heads:
        left.download_button(
            "This knockout as .json",
            data=lambda: export.json_text(
                knockout.knockout_json(cached.knockout_result(model_id, text, heads, ablation))
            ),
            file_name=file_name("knockout", "-".join(head_name(*h) for h in heads), ablation) + ".json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            key="dl_knockout",
            width="stretch",
        )
    gradient = knockout.gradient_measure(knockout.task(cached.loaded_model(model_id)))
    right.download_button(
        "Head importance as .json",
        data=lambda: export.json_text(
            knockout.importance_json(cached.sentence_importance(model_id, text, ablation), gradient)
        ),
        file_name=file_name("importance", ablation) + ".json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key="dl_importance",
        width="stretch",
    )
