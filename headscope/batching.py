"""Concurrent requests coalesced into one batched call, as model servers batch inference.

A server's sessions each ask for one sentence's forward pass. Run one by one, every pass pays
the model's fixed cost (a few hundred small tensor operations, each a Python call that takes
the GIL); run together, a batch of 8 short sentences costs about what 3 single passes do
(bench/run.py's `engine`). A `Batcher` has one worker thread: a caller's item waits in a
queue; whenever the worker is free it takes everything waiting, groups it (the caller names an
item's group: only items of one group share a call) and runs each group, at most `max_items` at
a time.

Results do not depend on what else was batched: the caller chooses groups that make them
identical (headscope/attention.py: texts of one padded length). A call that fails is run
again item by item, so each caller gets its own result or its own error.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Callable, Generic, Hashable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """`batcher(item)` returns `run_many([item, ...])`'s result for it, computed in a batch with other callers' items."""

    def __init__(
        self,
        run_many: Callable[[list[Item]], Sequence[Result]],
        max_items: int = 16,
        name: str = "headscope-batcher",
    ):
        self._run_many = run_many
        self._max_items = max_items
        self._name = name
        self._lock = threading.Condition()
        self._waiting: list[tuple[Item, Hashable, Future]] = []
        self._worker: threading.Thread | None = None
        self.calls = 0  # run_many calls so far (benchmarks and tests read them)
        self.items = 0

    def __call__(self, item: Item, group: Hashable = None) -> Result:
        """The item's result (or its exception, raised here); blocks until its batch has run with others of `group`."""
        done: Future = Future()
        with self._lock:
            self._waiting.append((item, group, done))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._worker.start()
            self._lock.notify()
        return done.result()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._waiting:
                    self._lock.wait()
                taken, self._waiting = self._waiting, []
            groups: OrderedDict[Hashable, list[tuple[Item, Future]]] = OrderedDict()
            for item, group, done in taken:  # first come, first served: a group runs in the order of its first item
                groups.setdefault(group, []).append((item, done))
            for members in groups.values():
                for start in range(0, len(members), self._max_items):
                    self._run(members[start : start + self._max_items])

    def _run(self, members: list[tuple[Item, Future]]) -> None:
        try:
            results = self._run_many([item for item, _ in members])
            self.calls += 1
            self.items += len(members)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller(s), never kills the worker
            if len(members) == 1:
                members[0][1].set_exception(exc)
                return
            for member in members:  # whose item failed: each runs alone and gets its own outcome
                self._run([member])
            return
        for (_, done), result in zip(members, results):
            done.set_result(result)
