"""Memory stays bounded whatever texts arrive (issue 13): the results cache is bounded by bytes.

Real bundled model and parser, the app's own cached functions (components/cached.py), called in this process
as the pages call them. `bench/memory.py` measures the same on a real server (make bench).
"""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np
import pytest

from bench.memory import long_texts
from headscope import attention, models, qkv
from headscope.errors import SettingsError
from headscope.models import BUNDLED_ID
from headscope.policy import Policy

BUDGET_MB = 100


@pytest.fixture(scope="module")
def texts():
    """Three distinct texts of 300-420 tokens (their attention: 26-49 MB each)."""
    return [t for t, _ in long_texts(3, low=300, high=420, seed=7)]


@pytest.fixture
def cached(monkeypatch):
    """The app's caches with a results budget of BUDGET_MB, starting empty; as it was after."""
    from components import cached

    monkeypatch.setenv("HEADSCOPE_CACHE_MB", str(BUDGET_MB))
    cached.policy.clear()
    cached.loaded_model(BUNDLED_ID)
    cached.parser()
    for fn in _cached(cached):
        fn.clear()
    yield cached
    for fn in _cached(cached):
        fn.clear()
    monkeypatch.undo()
    cached.policy.clear()


def _cached(cached) -> list:
    return [
        cached.raw_attention,
        cached.attention_view,
        cached.layer_canvas,
        cached.model_canvas,
        cached.head_canvas,
        cached.difference_canvas,
        cached.present_canvas,
        cached.sentence_parse,
        cached.sentence_syntax,
        cached.positional_heads,
        cached.head_stats,
        cached.head_parts,
        cached.rollout_view,
    ]


def _settings(text: str, whole_words: bool = False):
    from components.state import Settings

    return Settings(model=BUNDLED_ID, text=text, whole_words=whole_words, hide_special=False)


def _open_pages(cached, text: str) -> None:
    """What the Heads (one layer, all layers, a head opened), Syntax, Compare and Rollout pages ask for."""
    s = _settings(text)
    cached.attention_view(s)
    cached.layer_canvas(s, 0)
    cached.model_canvas(s)
    cached.head_canvas(s, 0, 0)
    cached.present_canvas(s, 0, None)
    cached.sentence_syntax(BUNDLED_ID, text)
    cached.positional_heads(BUNDLED_ID, text)
    cached.rollout_view(s)
    cached.attention_view(_settings(text, whole_words=True))


def test_long_texts_leave_at_most_the_budget_held(cached, texts):
    # Measured, not the cache's word for it: the bytes still allocated (numpy arrays and Python
    # objects, traced by tracemalloc) once every page's results are out of the caller's hands.
    # Before the byte budget, Streamlit's caches kept every text's results: 152 MB here.
    _open_pages(cached, "A short sentence warms every cached function up.")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for text in texts:
            _open_pages(cached, text)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
            assert held <= (BUDGET_MB + 8) * 2**20, f"{held / 2**20:.0f} MB held, budget {BUDGET_MB} MB"
    finally:
        tracemalloc.stop()
    stats = cached.RESULTS.stats()
    assert stats["budget"] == BUDGET_MB * 2**20 and 0 < stats["bytes"] <= stats["budget"], stats
    assert stats["evictions"] > 0, stats  # the budget was reached, and entries made room


def test_an_evicted_result_is_computed_again_the_same(cached, texts):
    first = cached.raw_attention(BUNDLED_ID, texts[0])
    kept = np.array(first.weights)
    assert cached.raw_attention(BUNDLED_ID, texts[0]) is first  # a hit: the one shared result
    for text in texts[1:]:
        _open_pages(cached, text)  # over the budget: the first text's results go
    misses = cached.RESULTS.stats()["misses"]
    again = cached.raw_attention(BUNDLED_ID, texts[0])
    assert cached.RESULTS.stats()["misses"] == misses + 1  # computed again, not kept somewhere else
    assert again is not first
    np.testing.assert_array_equal(again.weights, kept)
    assert again.tokens == first.tokens


def test_a_session_cannot_change_what_another_sees(cached):
    text = "One session must not change another session's heatmaps."
    s = _settings(text)
    att = cached.attention_view(s)
    with pytest.raises(ValueError, match="read-only"):
        att.weights[0, 0, 0, 0] = 5.0  # shared, so read-only
    grid = cached.layer_canvas(s, 0)
    grid["panels"][0]["name"] = "changed"  # the panels themselves are a tuple
    grid["levels"] = -1
    again = cached.layer_canvas(s, 0)
    assert len(again["panels"]) == 12 and again["panels"][0]["name"] == "L0H0" and again["levels"] != -1
    scores = cached.sentence_syntax(BUNDLED_ID, text)
    scores.relations.clear()
    assert cached.sentence_syntax(BUNDLED_ID, text).relations
    assert cached.attention_view(s).weights[0, 0, 0, 0] != 5.0


def test_only_the_parts_that_hold_a_dict_list_or_set_are_copied():
    """Each session gets fresh copies of what it could change, and shares the rest: no look inside a
    tuple of labels or a scored head on every view (the copies took 4.6 ms of a Heads view)."""
    from dataclasses import dataclass, field

    from components.cache import SharedCache

    @dataclass(frozen=True)
    class Scored:
        name: str
        score: float

    @dataclass(frozen=True)
    class Holder:
        labels: tuple
        scores: list
        nested: tuple = ()
        extra: dict = field(default_factory=dict)

    cache = SharedCache(lambda: 2**20)
    head = Scored("L0H0", 0.5)
    value = Holder(("a", "b"), [head], nested=(("x",), [1]), extra={"k": (head,)})
    first = cache.get("f", (), lambda: value)
    second = cache.get("f", (), lambda: value)
    assert first is not second and first.scores is not second.scores and first.extra is not second.extra
    assert first.nested is not value.nested and first.nested[1] is not value.nested[1]
    assert first.labels is value.labels and first.nested[0] is value.nested[0]  # nothing in them to change
    assert first.scores[0] is head and first.extra["k"] is value.extra["k"]
    first.scores.append(Scored("L1H1", 1.0))
    first.nested[1].append(2)
    assert value.scores == [head] and value.nested[1] == [1]
    assert cache.get("f", (), lambda: value) == Holder(("a", "b"), [head], (("x",), [1]), value.extra)


def test_stored_computes_nothing_and_waits_for_a_result_under_way():
    from components.cache import SharedCache

    cache = SharedCache(lambda: 2**20)
    calls = []
    started, release = threading.Event(), threading.Event()

    @cache.cached
    def square(x: int, power: int = 2) -> list:
        calls.append(x)
        if x < 0:
            raise ValueError("negative")
        started.set()
        release.wait(10)
        return [x**power]

    assert square.stored(3) is None and not calls  # not there: nothing computed
    worker = threading.Thread(target=square, args=(3,))
    worker.start()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()
    assert square.stored(3) == [9] and square.stored(3, power=2) == [9]  # waited for the one under way
    worker.join(10)
    assert calls == [3] and square.stored(3, 3) is None
    first = square.stored(3)
    first.append(0)
    assert square.stored(3) == [9]  # handed out as a copy, as `get` does
    with pytest.raises(ValueError):
        square(-1)
    assert square.stored(-1) is None and calls == [3, -1]  # a failure is not kept


def test_sessions_asking_at_once_wait_for_one_computation(cached, monkeypatch):
    runs = []
    real = attention.run_batch  # every forward pass of a text (alone, or batched with other sessions')

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(attention, "run_batch", counted)
    text = "Thirty students open the same new sentence at the same moment."
    start = threading.Barrier(8)
    results = []

    def session():
        start.wait()
        results.append(cached.raw_attention(BUNDLED_ID, text))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1 and len(results) == 8
    assert all(r is results[0] for r in results)


def test_a_failure_is_not_kept(cached, monkeypatch):
    text = "This sentence fails once, then works."

    def broken(*args, **kwargs):
        raise attention.InputError("injected")

    with monkeypatch.context() as patch:
        patch.setattr(attention, "run_batch", broken)
        with pytest.raises(attention.InputError):
            cached.raw_attention(BUNDLED_ID, text)
    assert cached.raw_attention(BUNDLED_ID, text).num_layers == 6


def test_a_malformed_budget_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("HEADSCOPE_CACHE_MB", "lots")
    with pytest.raises(SettingsError, match="HEADSCOPE_CACHE_MB is not usable"):
        Policy.from_settings()


def test_inside_a_head_is_not_mixed_up_with_another_sessions_text():
    # Found by the long-text soak (bench/memory.py): two sessions on the Inside page at once
    # failed with "The size of tensor a (361) must match the size of tensor b (365)". The
    # interleaving is made certain here: while this thread's forward pass reaches the layer,
    # another thread runs the shared model on another text.
    loaded = models.load()
    mine, other = "The cat sat on the mat.", "Another session runs a longer sentence through the same model now."
    module = loaded.model.encoder.layer[0].attention.self.query
    caller = threading.get_ident()

    def other_session(_module, _args):
        if threading.get_ident() == caller:
            t = threading.Thread(target=attention.run, args=(loaded, other))
            t.start()
            t.join()

    hook = module.register_forward_pre_hook(other_session)
    try:
        parts = qkv.take_apart(loaded, mine, 0, 0)
    finally:
        hook.remove()
    assert len(parts.tokens) == parts.inputs.shape[0] == 9
    assert parts.max_abs_diff < 1e-5
