"""The cache of results shared by sessions: least recently used first out, bounded by bytes.

Streamlit's own caches bound a function's entries by count (and time), not by size: 256
attention arrays of 512 tokens are 18 GB. Here every cached function of one `SharedCache`
shares one budget in bytes (components/cached.py: `HEADSCOPE_CACHE_MB`), measured when an
entry is stored: numpy arrays by their buffers (an array held by two entries, or a view of
one, counts once), everything else by `sys.getsizeof` over its contents.

As with `st.cache_resource`, concurrent sessions asking for the same missing entry wait
for one computation, and a failure is never kept (the next call runs it again). Unlike it,
a session cannot change what another one sees: stored arrays are made read-only, and dicts,
lists and sets in a result are handed out as fresh copies (frozen dataclasses and tuples
holding them too). Plotly figures are shared as they are: nothing may change a cached one
(`plotly_chart.show` only reads it, through `to_json`; see `cached.query_bars`).

Freed memory is handed back to the operating system (`malloc_trim`, glibc) once evictions
have dropped `TRIM_BYTES`: otherwise glibc keeps it for the process, and a server's
resident memory only ever grows.
"""

from __future__ import annotations

import copy
import ctypes
import dataclasses
import functools
import inspect
import sys
import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

TRIM_BYTES = 64 * 2**20
"""Evicted bytes after which the allocator is asked to return free memory to the system."""


@dataclasses.dataclass
class _Entry:
    value: Any
    own_bytes: int  # everything but numpy buffers
    buffers: dict[int, int]  # id(root array) -> its bytes, counted once across entries
    roots: list  # the root arrays, kept so that their ids stay theirs
    holders: frozenset[int]  # ids of the parts that are or hold a dict, list or set: copied when handed out


class _Pending:
    """One computation in progress; sessions asking for the same key wait on it."""

    def __init__(self):
        self.done = threading.Event()
        self.entry: _Entry | None = None  # set when the computation succeeded


class SharedCache:
    """A thread-safe LRU cache bounded by bytes; `cached` makes a function use it."""

    def __init__(self, budget: Callable[[], int]):
        self._budget = budget  # bytes; read on every store, so a changed setting applies at once
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._pending: dict[tuple, _Pending] = {}
        self._buffers: dict[int, list[int]] = {}  # id(root array) -> [entries holding it, bytes]
        self._bytes = 0
        self._evicted_since_trim = 0
        self.hits = self.misses = self.evictions = 0

    # --- the decorator -------------------------------------------------------------------

    def cached(self, fn: Callable) -> Callable:
        """`fn` with its results kept in this cache, keyed by its (hashable) arguments."""
        signature = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"

        def arguments(*args, **kwargs) -> tuple:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return tuple(bound.arguments.values())

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return self.get(name, arguments(*args, **kwargs), lambda: fn(*args, **kwargs))

        wrapper.clear = lambda: self.clear(name)  # as st.cache_*'s `.clear()`
        wrapper.stored = lambda *args, **kwargs: self.stored(name, arguments(*args, **kwargs))
        return wrapper

    def stored(self, name: str, args: tuple) -> Any:
        """The stored result for (name, args), or None: nothing is computed (one under way is waited for)."""
        key = (name, args)
        with self._lock:
            entry, pending = self._look_up(key)
        if pending is not None:
            pending.done.wait()
            entry = pending.entry  # None if it failed
        return None if entry is None else _handed_out(entry)

    def get(self, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
        """The stored result for (name, args), or compute it once (concurrent callers wait for it)."""
        key = (name, args)
        while True:
            with self._lock:
                entry, pending = self._look_up(key)
                if entry is None and pending is None:
                    pending = self._pending[key] = _Pending()
                    self.misses += 1
                    break
            if entry is not None:  # copied outside the lock: 30 sessions must not queue on one copy
                return _handed_out(entry)
            pending.done.wait()
            if pending.entry is not None:  # computed for us (stored, or too large to store)
                return _handed_out(pending.entry)
            # it failed: failures are not kept, so this caller tries for itself
        try:
            entry = _measure(compute())
            budget = self._budget()
            with self._lock:
                self._store(key, entry, budget)
            pending.entry = entry
        finally:
            with self._lock:
                del self._pending[key]
            pending.done.set()
        self._trim_if_due()
        return _handed_out(entry)

    # --- bookkeeping (under the lock) -----------------------------------------------------

    def _look_up(self, key: tuple) -> tuple[_Entry | None, _Pending | None]:
        """The stored entry (counted as a hit, made the most recent), else the computation under way, if any."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry, None
        return None, self._pending.get(key)

    def _store(self, key: tuple, entry: _Entry, budget: int) -> None:
        if entry.own_bytes + sum(entry.buffers.values()) > budget:
            return  # larger than the whole budget: handed to the callers waiting now, not kept
        while self._entries and self._bytes + self._adds(entry) > budget:
            self._drop(next(iter(self._entries)))
            self.evictions += 1
        self._entries[key] = entry
        self._bytes += entry.own_bytes
        for i, n in entry.buffers.items():
            held = self._buffers.setdefault(i, [0, n])
            if held[0] == 0:
                self._bytes += n
            held[0] += 1

    def _adds(self, entry: _Entry) -> int:
        """Bytes that storing the entry would add (buffers held already are not counted again)."""
        return entry.own_bytes + sum(n for i, n in entry.buffers.items() if i not in self._buffers)

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key)
        freed = entry.own_bytes
        for i in entry.buffers:
            held = self._buffers[i]
            held[0] -= 1
            if held[0] == 0:
                del self._buffers[i]
                freed += held[1]
        self._bytes -= freed
        self._evicted_since_trim += freed

    def _trim_if_due(self) -> None:
        with self._lock:
            due = self._evicted_since_trim >= TRIM_BYTES
            if due:
                self._evicted_since_trim = 0
        if due:
            release_free_memory()

    # --- for tests, benchmarks and `.clear()` ------------------------------------------------

    def clear(self, name: str | None = None) -> None:
        """Forget the entries of one function (by its module.qualname), or all."""
        with self._lock:
            for key in [k for k in self._entries if name is None or k[0] == name]:
                self._drop(key)
        release_free_memory()

    def stats(self) -> dict:
        """Entries, bytes held, budget, hits, misses and evictions so far."""
        budget = self._budget()
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "budget": budget,
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
            }


# --- measuring and protecting a result ------------------------------------------------------

_ATOMS = (str, bytes, int, float, complex, bool, type(None), range)
_ATOM_TYPES = frozenset(_ATOMS)


def _root(array: np.ndarray) -> np.ndarray:
    """The array that owns a view's memory."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _measure(value: Any) -> _Entry:
    """The value's size (numpy buffers apart), its arrays made read-only, and its parts that are copied when handed out."""
    own, buffers, roots = 0, {}, []
    seen: set[int] = set()
    stack = [value]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            obj.flags.writeable = False
            root = _root(obj)
            own += sys.getsizeof(obj) - (obj.nbytes if obj.base is None else 0)
            if id(root) not in buffers:
                buffers[id(root)] = root.nbytes
                roots.append(root)
            continue
        own += sys.getsizeof(obj)
        if isinstance(obj, _ATOMS) or isinstance(obj, np.generic):
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, set, bytearray)):
            stack.extend(obj)
        elif isinstance(obj, (tuple, frozenset)):
            stack.extend(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
        elif hasattr(obj, "to_plotly_json"):  # a frozen figure: its dict, and the figure's own copy of it
            spec = _measure(obj.to_dict())
            own += 2 * (spec.own_bytes + sum(spec.buffers.values()))
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    holders = _holders(value)  # what to copy is `_parts`' rule alone
    return _Entry(value, own + sys.getsizeof(holders), buffers, roots, holders)


def _parts(obj: Any) -> tuple[bool, Any]:
    """(whether obj itself is copied when handed out, the parts `_private` looks into)."""
    if isinstance(obj, dict):
        return True, (*obj.keys(), *obj.values())
    if isinstance(obj, (list, set)):
        return True, obj
    if isinstance(obj, tuple):
        return False, obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return False, [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    return False, ()


def _holders(value: Any) -> frozenset[int]:
    """The ids of the parts of value that `_private` must rebuild: dicts, lists and sets, and the
    tuples and dataclasses holding one. The rest (a scored head, a tuple of labels) is handed out
    as it is, without a look inside: a sentence's scores hold 1,440 of them."""
    found: set[int] = set()
    known: dict[int, bool] = {}

    def visit(obj: Any) -> bool:
        if type(obj) in _ATOM_TYPES or isinstance(obj, (np.ndarray, np.generic)):
            return False
        if id(obj) in known:
            return known[id(obj)]
        known[id(obj)] = False  # a cycle back to obj adds nothing
        held, parts = _parts(obj)
        for part in parts:
            held = visit(part) or held
        known[id(obj)] = held
        if held:
            found.add(id(obj))
        return held

    visit(value)
    return frozenset(found)


def _handed_out(entry: _Entry) -> Any:
    """What a caller gets: the stored value, or a copy of its dicts, lists and sets."""
    return _private(entry.value, entry.holders) if entry.holders else entry.value


def _private(obj: Any, holders: frozenset[int]) -> Any:
    """The same value with every dict, list and set copied (and what holds them); the parts that
    hold none (not in `holders`, see `_holders`) and arrays shared."""
    if id(obj) not in holders:
        return obj
    if isinstance(obj, dict):
        return {k: _private(v, holders) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_private(v, holders) for v in obj]
    if isinstance(obj, set):
        return {_private(v, holders) for v in obj}
    if isinstance(obj, tuple):
        items = [_private(v, holders) for v in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fresh = copy.copy(obj)
        for f in dataclasses.fields(obj):
            old = getattr(obj, f.name)
            new = _private(old, holders)
            if new is not old:
                object.__setattr__(fresh, f.name, new)  # frozen dataclasses too
        return fresh
    return obj


# --- giving freed memory back ---------------------------------------------------------------


def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


_LIBC = _libc()
MMAP_BYTES = 2**20
"""Allocations from this size up get their own pages, returned to the system when freed.

glibc's default threshold rises to the largest block freed (up to 32 MB), after which a
long text's 12 MB per-layer arrays come from the heap and its freed space stays with the
process. Measured with bench/memory.py's long-text soak, 10 texts: 1.49 GB at the end and
a 2.0 GB peak with this setting, 1.63 GB and 2.5 GB without; no slower forward pass."""
if _LIBC is not None:
    _LIBC.mallopt(-3, MMAP_BYTES)  # M_MMAP_THRESHOLD


def release_free_memory() -> None:
    """Ask glibc to hand the free pages of every malloc arena back to the system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
