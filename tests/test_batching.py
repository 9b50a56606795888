"""Concurrent sessions' forward passes batched (headscope/batching.py, attention.SharedRuns): every caller
gets the numbers of a pass over its text alone, float for float, or its own error."""

import threading

import numpy as np

from bench.load import student_sentence
from headscope import attention
from headscope.attention import InputError
from headscope.batching import Batcher


class _Held:
    """A run_many whose first call waits until released, so the calls behind it pile up in the queue."""

    def __init__(self, fail_on=()):
        self.started, self.release = threading.Event(), threading.Event()
        self.batches: list[list] = []
        self.fail_on = set(fail_on)

    def __call__(self, items):
        if not self.started.is_set():
            self.started.set()
            assert self.release.wait(10)
        self.batches.append(list(items))
        if self.fail_on & set(items):
            raise ValueError(f"bad item among {items}")
        return [item * 10 for item in items]


def _call(batcher, item, results: dict, errors: dict) -> threading.Thread:
    """Call the batcher with the item (its group: odd or even) from a thread of its own; its result or error
    goes in the dicts."""

    def call():
        try:
            results[item] = batcher(item, group=item % 2)
        except Exception as exc:  # noqa: BLE001 - kept for the test to look at
            errors[item] = exc

    thread = threading.Thread(target=call)
    thread.start()
    return thread


def _held_then(batcher, run: _Held, items: list) -> tuple[dict, dict]:
    """Item 0 runs (and is held) while `items` queue behind it, in their order; then all run.
    (results, errors) by item."""
    results, errors = {}, {}
    threads = [_call(batcher, 0, results, errors)]
    assert run.started.wait(10)
    for n, item in enumerate(items, 1):
        threads.append(_call(batcher, item, results, errors))
        for _ in range(2000):  # queued before the next one comes
            with batcher._lock:
                if len(batcher._waiting) == n:
                    break
            threading.Event().wait(0.005)
    run.release.set()
    for t in threads:
        t.join(10)
    return results, errors


def test_waiting_calls_share_one_batch_per_group_in_arrival_order():
    run = _Held()
    batcher = Batcher(run, max_items=3)
    results, errors = _held_then(batcher, run, [1, 2, 3, 4, 5, 6, 7])
    assert not errors and results == {i: i * 10 for i in range(8)}
    batches = run.batches[1:]
    assert all(len({item % 2 for item in b}) == 1 for b in batches)  # a group never mixes with another
    assert all(len(b) <= 3 for b in batches) and sorted(i for b in batches for i in b) == list(range(1, 8))
    assert batches == [[1, 3, 5], [7], [2, 4, 6]]  # odd first (1 came first): three, then one; even: three
    assert batcher.calls == 4 and batcher.items == 8


def test_a_failing_item_gets_its_own_error_and_the_others_their_results():
    run = _Held(fail_on={3})
    batcher = Batcher(run, max_items=8)
    results, errors = _held_then(batcher, run, [1, 3, 5, 7])  # one group (odd): one batch, then each alone
    assert results == {0: 0, 1: 10, 5: 50, 7: 70}
    assert set(errors) == {3} and "bad item" in str(errors[3])
    assert run.batches[1:] == [[1, 3, 5, 7], [1], [3], [5], [7]]
    assert batcher(6) == 60  # the worker outlived the failure


def test_a_batch_of_one_padded_length_changes_no_number(loaded):
    texts = [student_sentence(u, 0) for u in range(40)]
    by_length: dict[int, list[str]] = {}
    for text in texts:
        by_length.setdefault(attention.padded_length(loaded, text), []).append(text)
    group = max(by_length.values(), key=len)
    lengths = {attention.run(loaded, t).num_tokens for t in group}
    assert len(group) >= 4 and len(lengths) >= 2  # texts of different lengths share the padded length
    for text, batched in zip(group, attention.run_batch(loaded, group)):
        alone = attention.run(loaded, text)
        assert batched.rows == alone.rows and np.array_equal(batched.weights, alone.weights), text


def test_shared_runs_give_each_session_its_own_text_float_for_float(loaded):
    runs = attention.SharedRuns(loaded)
    long_text = " ".join(student_sentence(u, 1) for u in range(12))  # over BATCHED_TOKENS: runs alone
    assert attention.padded_length(loaded, long_text) > attention.BATCHED_TOKENS
    texts = [student_sentence(u, 2) for u in range(16)] + [long_text, "\u200b\u200b", ""]
    barrier = threading.Barrier(len(texts))
    results, errors = {}, {}

    def session(text):
        barrier.wait()
        try:
            results[text] = runs(text)
        except InputError as exc:
            errors[text] = str(exc)

    threads = [threading.Thread(target=session, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(errors) == {"\u200b\u200b", ""} and all(errors.values())
    for text in texts[:-2]:
        alone = attention.run(loaded, text)
        assert results[text].rows == alone.rows and np.array_equal(results[text].weights, alone.weights), text
    # the short ones (and the zero-width one, refused after its pass) batched; the long one and "" not
    assert runs.batcher.items == 17 and runs.batcher.calls < 17


def test_parses_piped_together_are_the_parses_alone():
    from headscope import corpus, syntax

    texts = [p.text for p in corpus.shipped("gold").parses[:120]]
    shared = syntax.shared_parser(max_items=16)
    results: dict[str, syntax.Parse] = {}
    threads = [threading.Thread(target=lambda t=t: results.__setitem__(t, shared(t))) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [results[t] for t in texts] == [syntax.parse(t) for t in texts]
    assert shared.items == len(texts) and shared.calls < len(texts)


def test_idle_openmp_threads_sleep_in_every_entry_point():
    """headscope sets OMP_WAIT_POLICY=PASSIVE before torch is first imported, by the app's imports and the CLI's."""
    import os
    import subprocess
    import sys

    check = (
        "import os, sys\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' and 'OMP_WAIT_POLICY' not in os.environ: raise SystemExit('torch first')\n"
        "sys.meta_path.insert(0, Watch())\n"
        "{imports}\n"
        "import torch\n"
        "print(os.environ['OMP_WAIT_POLICY'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    for imports in ("from components import cached, faults, links, sidebar, streamlit_private", "import headscope.cli"):
        done = subprocess.run(
            [sys.executable, "-c", check.format(imports=imports)], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0 and done.stdout.split() == ["PASSIVE"], (imports, done.stderr[-500:])
