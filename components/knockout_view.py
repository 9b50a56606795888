"""Pieces of the Switch heads off page: the head picker, the grids before and after, the output, importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import cached, faults, heatmaps, heavy, links, plotly_chart, state, tables
from components.charts import file_name
from headscope import canvas, export, jobs, knockout
from headscope.figures import bars_figure
from headscope.knockout import Importance, Knockout
from headscope.panels import head_name

HEADS_KEY, ABLATION_KEY, LAYER_KEY = state.KNOCKOUT_HEADS, state.KNOCKOUT_ABLATION, "knockout_layer"
OPENED_KEY = "knockout_layer_opened"  # the layer the slider last opened on (the first that changes)

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


IMPORTANCE_COLOURS = (
    "Colours: dark purple is 0 (switching the head off changes nothing), yellow the largest effect in the "
    "grid; the brighter a head, the more the model needs it."
)
"""What the importance grids' colours mean: a sequential scale (viridis) from 0, dark, to the grid's largest effect."""


# --- results: at once for a short text, else through the heavy-job pool (components/heavy.py) --------

CORPUS_CAPTION = (
    "The bundled corpus: the project's {count} simple sentences (data/corpus.txt), each with every head "
    "switched off on its own, averaged."
)
ASKED_KEY = "knockout_asked"  # {"sentence"|"corpus": the job key this session asked for}


def heavy_text(model_id: str, text: str) -> bool:
    """Is this text heavy work (more than knockout.HEAVY_TOKENS tokens)?"""
    return knockout.token_count(cached.loaded_model(model_id), text) > knockout.HEAVY_TOKENS


def knockout_result(model_id: str, text: str, heads: tuple[tuple[int, int], ...], ablation: str) -> Knockout:
    """The knockout: computed at once for a short text, else a quick job in the pool (from the cache if there)."""
    if not heavy_text(model_id, text):
        return cached.knockout_result(model_id, text, heads, ablation)
    key = ("knockout", model_id, text, heads, ablation)
    found = _stored(key, cached.knockout_result, model_id, text, heads, ablation)
    if found is not None:
        return found
    return heavy.run(
        key,
        lambda: cached.knockout_result(model_id, text, heads, ablation),
        "Switching the heads off",
        quick=True,
    )


def _stored(key: tuple, fn, *args):
    """fn(*args) if the results cache holds it (`fn` is one of its functions); None if not, or while a job
    computes it (follow the job instead).

    The pool is asked first: the cache makes a caller wait for a computation under way, without
    a progress bar or Cancel.
    """
    if jobs.POOL.find(key) is not None:
        return None
    return fn.stored(*args)


def _asked() -> dict:
    """What this session asked to compute (job keys by name), kept in its state."""
    return st.session_state.setdefault(ASKED_KEY, {})


def _ask(name: str, key: tuple) -> None:
    """The button's callback: this session asks for the job."""
    _asked()[name] = key


def _cancel(name: str) -> None:
    """Cancel's callback: this session withdraws from its job (which stops if nobody else waits for it)."""
    key = _asked().pop(name, None)
    if key is not None:
        heavy.cancel(key)
    st.session_state[f"knockout_{name}_cancelled"] = True


def _on_request(name: str, key: tuple, fn, explain: str, ask: str, doing: str, unit: str):
    """A heavy result computed when asked: its explanation and a button; then its progress and Cancel; then it.

    None until it is done (or when it was cancelled); the job's error raised if it failed.
    """
    if _asked().get(name) != key:
        earlier = _asked().pop(name, None)
        if earlier is not None:  # asked for another text or setting, then moved on: withdrawn from that job
            heavy.cancel(earlier)
        if st.session_state.pop(f"knockout_{name}_cancelled", False):
            st.caption("Cancelled.")
        st.caption(explain)
        st.button(ask, key=f"knockout_{name}_ask", on_click=_ask, args=(name, key))
        return None
    cancel = st.empty()
    cancel.button("Cancel", key=f"knockout_{name}_cancel", on_click=_cancel, args=(name,))
    try:
        result = heavy.run(key, fn, doing, unit)
    except jobs.Cancelled:
        _asked().pop(name, None)
        result = None
        st.caption("Cancelled.")
    except Exception:
        _asked().pop(name, None)  # the page's guard shows the failure; the button comes back
        cancel.empty()
        raise
    cancel.empty()
    return result


def _sentence_importance(model_id: str, text: str, ablation: str) -> Importance | None:
    """This text's importance: at once for a short text; for a long one, from the cache or on request."""
    if not heavy_text(model_id, text):
        return cached.sentence_importance(model_id, text, ablation)
    key = ("importance", model_id, text, ablation)
    found = _stored(key, cached.sentence_importance, model_id, text, ablation)
    if found is not None:
        return found
    loaded = cached.loaded_model(model_id)
    tokens = knockout.token_count(loaded, text)
    heads = loaded.num_layers * loaded.num_heads
    return _on_request(
        "sentence",
        key,
        lambda: cached.sentence_importance(model_id, text, ablation),
        f"This text has {tokens:,} tokens: switching each of the {heads} heads off on its own runs the model "
        f"{heads} more times on it, which takes a while (it runs when you ask, and one long job at a time runs on "
        "this server).",
        f"Switch each of the {heads} heads off",
        "Switching every head off",
        "heads",
    )


def _corpus_column(model_id: str, ablation: str) -> Importance | None:
    """The corpus importance if it is shipped or on disk; else a button that computes it (once per server)."""
    loaded = cached.loaded_model(model_id)
    found = knockout.cached_bundled_importance(loaded, ablation)
    if found is not None:
        return found
    return _on_request(
        "corpus",
        ("corpus importance", model_id, ablation),
        lambda: knockout.bundled_importance(loaded, ablation, progress=jobs.report),
        "The average over the bundled corpus is not computed yet for this model: it switches every head off "
        "in each of its sentences, a few minutes on a small server, once.",
        "Average over the bundled corpus",
        "Switching every head off, sentence by sentence",
        "sentences",
    )


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
    first = min(k.first_changed_layer(), layers - 1)
    change = k.largest_change()
    _open_on(first_change(change, first), layers)
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


def first_change(change: np.ndarray, first: int) -> int:
    """The first layer from `first` on (none before it can change) where some head's attention changed
    (`change`: [layer, head]); `first` if none did."""
    changed = [layer for layer in range(first, change.shape[0]) if np.nanmax(change[layer], initial=0.0) > 0]
    return changed[0] if changed else first


def _open_on(layer: int, layers: int) -> None:
    """The layer slider opens on `layer`, and again whenever that layer moves (other heads switched off);
    in between it stays where the reader put it."""
    state = st.session_state
    if state.get(OPENED_KEY) != layer or LAYER_KEY not in state or state[LAYER_KEY] >= layers:
        state[LAYER_KEY] = layer
        state[OPENED_KEY] = layer


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
    """Every head switched off on its own: this sentence beside the bundled corpus (long texts: on request)."""
    st.subheader("Which heads matter: every head switched off on its own")
    loaded = cached.loaded_model(model_id)
    left, right = st.columns(2)
    with right:
        corpus = _corpus_column(model_id, ablation)
    with left, faults.guard("Cannot switch every head off"):
        one = _sentence_importance(model_id, text, ablation)
    if one is None and corpus is None:
        return
    follows = _following_heads(model_id, (loaded.num_layers, loaded.num_heads))
    if one is not None:
        with left:
            _heads(one.effect, "this sentence", "effect", "knockout_importance", follows)
    if corpus is not None:
        with right:
            title = f"bundled corpus ({corpus.sentences:,} sentences)"
            _heads(corpus.effect, title, "effect", "knockout_importance_corpus", follows)
    st.caption(f"Effect: {one.measure}. {IMPORTANCE_COLOURS}" if one is not None else IMPORTANCE_COLOURS)
    if corpus is not None:
        st.caption(CORPUS_CAPTION.format(count=f"{corpus.sentences:,}"))
    if follows is not None:
        st.caption(
            "Outlined: the heads that follow a relation over the verdict corpus (Head atlas). Click a head "
            "in any of these grids to switch it off too."
        )
    if one is None:
        return
    if one.gradient is not None:
        st.caption("Michel et al. 2019's gradient score: " + knockout.gradient_measure(knockout.task(loaded)))
        _heads(one.gradient, "gradient score, this sentence", "|d loss / d gate|", "knockout_gradient", follows)
    else:
        st.caption("No gradient score: " + knockout.NO_GRADIENT + ".")
    gradient = knockout.gradient_measure(knockout.task(loaded))
    st.download_button(
        "Head importance as .json",
        data=lambda: export.json_text(
            knockout.importance_json(cached.sentence_importance(model_id, text, ablation), gradient)
        ),
        file_name=file_name("importance", ablation) + ".json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key="dl_importance",
    )


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
    """The knockout as .json, the same document as the command line's (the importance's is beside its grid).

    The button keeps the settings, not the result (Streamlit keeps a download's callable with
    the session); the result comes from the shared cache when clicked.
    """
    if not heads:
        return
    st.download_button(
        "This knockout as .json",
        data=lambda: export.json_text(knockout.knockout_json(cached.knockout_result(model_id, text, heads, ablation))),
        file_name=file_name("knockout", "-".join(head_name(*h) for h in heads), ablation) + ".json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key="dl_knockout",
    )
