"""Streamlit caches over headscope (the engine): one model per process, results shared by sessions.

Models, the parser and the corpus atlas are per-process resources (`st.cache_resource`, a
few per model). Every result that depends on a text lives in one cache bounded by bytes,
`HEADSCOPE_CACHE_MB` (components/cache.py): decorate a new one with `@shared`.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import weakref
from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from components.cache import SharedCache
from components.state import Settings, verdict_corpus
from headscope import (
    atlas,
    attention,
    canvas,
    jobs,
    knockout,
    language,
    models,
    norms,
    panels,
    qkv,
    roles,
    rollout,
    syntax,
    words,
)
from headscope.attention import Attention
from headscope.compare import ARCS, Shared, shared_attention, statistic_grids
from headscope.figures import axis_labels, bars_figure
from headscope.knockout import Importance, Knockout
from headscope.policy import Policy


@st.cache_resource(show_spinner=False)
def policy() -> Policy:
    """What this server lets users load: HEADSCOPE_* environment variables, then secrets.toml."""
    try:
        secrets = dict(st.secrets.get("headscope", {}))
    except Exception:  # noqa: BLE001 - no secrets file: environment only
        secrets = {}
    return Policy.from_settings(secrets=secrets)


RESULTS = SharedCache(budget=lambda: policy().cache_mb * 2**20)
"""Every text's results (attention, figures, scores), least recently used out first."""
shared = RESULTS.cached


@shared
def model_info(model_id: str) -> str:
    """'110 M parameters, 440 MB on disk', read from the config before any weight is loaded."""
    return models.inspect(model_id, policy()).describe()


_READY = threading.Lock()
_ready: list[bool] = []  # [True] once this process has imported transformers and loaded the bundled model


def ready() -> None:
    """Import transformers and load the bundled model once per process, under one lock, before any page uses them.

    transformers resolves its names on first use (a lazy module): on a cold server, sessions
    opening different pages at once resolved them together, and one of them was told
    "cannot import name 'AutoConfig' from 'transformers'" (tests/test_cold_start.py).
    """
    if _ready:
        return
    with _READY:
        if _ready:
            return
        models.import_transformers()
        loaded_model(models.BUNDLED_ID)
        _ready.append(True)


_in_memory: weakref.WeakValueDictionary[str, models.LoadedModel] = weakref.WeakValueDictionary()
"""The models this process holds (gone with the last reference once the resource cache lets one go)."""


def in_memory(model_id: str) -> bool:
    """Whether `loaded_model(model_id)` returns at once (a page shows no "Loading" spinner then)."""
    return model_id in _in_memory


@st.cache_resource(show_spinner=False, max_entries=4)
def loaded_model(model_id: str) -> models.LoadedModel:
    """Load a model once per process (concurrent sessions wait for the one load); shared read-only."""
    start = time.perf_counter()
    loaded = models.load(model_id, policy())
    # one line in the server's log per load (tests/test_concurrency.py counts them)
    print(f"headscope: loaded {loaded.name} in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    # Streamlit runs gc.collect() after every script run; freezing the model's many
    # long-lived objects keeps that collection from walking them on every page view.
    gc.collect()
    gc.freeze()
    _in_memory[model_id] = loaded
    return loaded


@shared
def raw_attention(
    model_id: str, text: str, target: str = "", kind: str = "encoder", weighting: str = "weights"
) -> Attention:
    """The model's attention for a text, at the level of the tokenizer's pieces (weighted by norms if asked)."""
    if weighting == "weights":  # concurrent sessions' short texts share forward passes
        return shared_runs(model_id)(text, target or None, kind)
    return norms.attend(loaded_model(model_id), text, target or None, kind, weighting)


@st.cache_resource(show_spinner=False, max_entries=4)
def shared_runs(model_id: str) -> attention.SharedRuns:
    """The model's forward passes, batched across this process's sessions (headscope/batching.py)."""
    return attention.SharedRuns(loaded_model(model_id))


@shared
def attention_view(s: Settings) -> Attention:
    """Attention as the user asked to see it: pieces or whole words, special tokens or not."""
    return _as_shown(raw_attention(s.model, s.text, s.target, s.kind, s.weighting), s)


def _as_shown(att: Attention, s: Settings) -> Attention:
    """The sidebar's Whole words and Hide special tokens applied to attention (or to a rollout)."""
    if s.whole_words:
        att = words.merge(att)
    if s.hide_special:
        att = attention.without_special(att)
    return att


@shared
def layer_canvas(s: Settings, layer: int) -> dict:
    """The heads of one layer for the canvas grid, built once and shared across sessions (read-only)."""
    att = attention_view(s)
    return canvas.layer_data(att, layer, norms.scale_max(att))


@shared
def difference_canvas(a: Settings, b: Settings, layer: int) -> dict:
    """A's heads minus B's in one layer, on a diverging scale (both must have the same shape)."""
    return canvas.difference_data(attention_view(a), attention_view(b), layer)


@shared
def shared_words(a: Settings, b: Settings) -> Shared:
    """A's and B's attention among the words both texts share (any lengths, any two tokenizers)."""
    return shared_attention(attention_view(a), attention_view(b))


@shared
def shared_canvas(a: Settings, b: Settings, layer: int, side: str) -> dict:
    """Compare's words both share, one layer: side "a" or "b" on one scale, or "difference" (A minus B)."""
    shared = shared_words(a, b)
    if side == "difference":
        return canvas.difference_data(shared.a, shared.b, layer)
    zmax = max(norms.scale_max(attention_view(a)), norms.scale_max(attention_view(b)))
    return canvas.layer_data(shared.a if side == "a" else shared.b, layer, zmax)


@shared
def statistic_canvas(a: Settings, b: Settings, choice: str) -> tuple[dict, dict]:
    """Compare's per-head statistic (headscope.compare.CHOICES): A and B as layer x head grids, and A minus B."""
    arcs = choice.startswith(ARCS)
    sides = [(head_stats(s), sentence_syntax(s.model, s.text) if arcs else None) for s in (a, b)]
    return statistic_grids(choice, *sides)


@shared
def present_canvas(s: Settings, layer: int, head: int | None) -> dict:
    """Presentation: one head, or one layer, filling the screen in large type."""
    att = attention_view(s)
    if head is None:
        return canvas.layer_data(att, layer, norms.scale_max(att), panels.PRESENT_LAYER)
    return canvas.attention_grid(att, [(layer, head)], panels.PRESENT_HEAD, norms.scale_max(att))


@shared
def model_canvas(s: Settings) -> dict:
    """All heads of the model for the clickable canvas grid (read-only)."""
    att = attention_view(s)
    return canvas.model_data(att, norms.scale_max(att))


@shared
def head_canvas(s: Settings, layer: int, head: int, window: canvas.Window | None = None) -> dict:
    """One head, large, or a zoomed window of it (read-only)."""
    att = attention_view(s)
    return canvas.head_data(att, layer, head, norms.scale_max(att), window)


@st.cache_resource(show_spinner="Loading the parser…")
def parser():
    """The bundled spaCy parser, loaded once per process."""
    return syntax.load_parser()


@shared
def text_language(text: str) -> language.Language:
    """Whether a text is English, as the parser needs (headscope/language.py), checked once per text."""
    return language.identify(text)


@shared
def sentence_parse(text: str) -> syntax.Parse:
    """The bundled parser's dependency parse of a text; text that is not English raises language.NotEnglish.

    Every parse the pages draw from (outlines, answers, rankings, arcs) comes through here, so
    none is drawn for a parse that means nothing; the places that catch a ParseError say so.
    """
    language.require_english(text_language(text))
    return shared_parser()(text)


@st.cache_resource(show_spinner=False)
def shared_parser():
    """The bundled parser, its concurrent sessions' texts parsed together (headscope/syntax.py)."""
    return syntax.shared_parser(parser())


@shared
def sentence_syntax(model_id: str, text: str, weighting: str = "weights") -> syntax.SyntaxScores:
    """Every head's relation scores for a sentence (on attention weighted as asked)."""
    return syntax.score_sentence(raw_attention(model_id, text, weighting=weighting), sentence_parse(text))


@shared
def positional_heads(model_id: str, text: str) -> dict[tuple[int, int], str]:
    """Heads whose attention is mostly on one neighbouring token, for this text."""
    return roles.positional_heads(raw_attention(model_id, text))


@st.cache_resource(show_spinner="Scoring every head over the corpus (once)…", max_entries=8)
def _corpus_atlas(model_id: str, weighting: str, key: str) -> atlas.Atlas:
    """The atlas over a shipped corpus: shipped in data/atlas/, from the disk cache, or computed once and stored."""
    return atlas.shipped(loaded_model(model_id), key, weighting)


def corpus_atlas(model_id: str, weighting: str = "weights", key: str | None = None) -> atlas.Atlas:
    """The atlas the verdicts come from: over `key`, else over the session's verdict corpus (gold by default).

    A cached function that calls this must pass `key` (its own argument): the session's choice is not in its key.
    """
    return _corpus_atlas(model_id, weighting, key or verdict_corpus())


@shared
def head_stats(s: Settings) -> roles.HeadStats:
    """Every head's statistics for one text (the attention kind chosen, pieces, specials kept)."""
    return roles.head_stats(raw_attention(s.model, s.text, s.target, s.kind))


@shared
def head_parts(model_id: str, text: str, layer: int, head: int) -> qkv.HeadParts:
    """One head taken apart, step by step, for one text."""
    return qkv.take_apart(loaded_model(model_id), text, layer, head)


@shared
def inside_canvas(model_id: str, text: str, layer: int, head: int) -> dict[str, dict]:
    """Inside a head's matrices as grid data, by step, built once per head and text (see canvas.head_steps)."""
    return canvas.head_steps(head_parts(model_id, text, layer, head))


@shared
def query_bars(model_id: str, text: str, layer: int, head: int, query: int) -> go.Figure:
    """Inside a head: one query token's scaled scores and weights over the keys, as bars.

    The figure is shared by every session, as it is: nothing may change it (plotly_chart.show
    only reads it, through `to_json`).
    """
    p = head_parts(model_id, text, layer, head)
    return bars_figure(
        list(p.tokens),
        {"q\u00b7k / sqrt(d_k)": p.scores[query], "softmax weight": p.weights[query]},
        f"{axis_labels(p.tokens)[query]}: its score and weight for every key",
    )


@shared
def rollout_view(s: Settings) -> Attention:
    """Attention rollout after each layer, shaped as [layer, 1, query, input] and shown like attention."""
    raw = raw_attention(s.model, s.text, s.target, s.kind)
    return _as_shown(replace(raw, weights=rollout.rollout(raw.weights)[:, None]), s)


@shared
def rollout_canvas(s: Settings, layer: int) -> dict[str, dict]:
    """The Rollout page's matrices for one layer ("raw", "rolled"), built once and shared (read-only)."""
    return canvas.rollout_data(attention_view(s), rollout_view(s), layer)


@shared
def rollout_bars(s: Settings, layer: int, token: int) -> go.Figure:
    """Rollout: what feeds one token at a layer, rolled out and that layer alone, as bars (shared as it is)."""
    raw, rolled = attention_view(s), rollout_view(s)
    return bars_figure(
        list(raw.tokens),
        {
            f"rollout after layer {layer}": rolled.weights[layer, 0, token],
            f"layer {layer} alone (mean of heads)": raw.weights[layer, :, token].mean(0),
        },
        f"What feeds {axis_labels(raw.tokens)[token]} at layer {layer}",
    )


@shared
def knockout_result(model_id: str, text: str, heads: tuple[tuple[int, int], ...], ablation: str) -> Knockout:
    """The model run intact and with the heads switched off, with the sentence's arcs (none if it is not English)."""
    parse = sentence_parse(text) if text_language(text).english else None
    return knockout.knockout(loaded_model(model_id), text, heads, ablation, parse)


@shared
def sentence_importance(model_id: str, text: str, ablation: str) -> Importance:
    """Every head switched off on its own, for this sentence (progress told to the heavy job running it, if any)."""
    return knockout.importance(loaded_model(model_id), text, ablation, progress=jobs.report)
