"""One disk store for what is computed once and kept between runs: the atlases (atlas.py) and the corpus
importance (knockout/store.py).

A file's name is a hash of everything its content depends on (the method's version, the model, the corpus,
the options; each caller's key function says which), so a stale file is never found. A result is looked up in
the folder shipped with the code first (data/atlas/, data/importance/), then in the cache folder; a file that
cannot be read is computed again. A write is atomic (a reader sees the old file or the new one), and a
read-only disk only costs the computation next time.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """Where results are kept between runs ($HEADSCOPE_CACHE, else ~/.cache/headscope)."""
    root = os.environ.get("HEADSCOPE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "headscope"
    )
    return Path(root)


def write(path: Path, data: bytes) -> None:
    """Write a file atomically: a temporary file of this process and thread, then renamed over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def found(name: str, shipped: Path, read: Callable[[Path], T | None]) -> T | None:
    """The result in `shipped`/name, else in the cache folder; None when neither is there or can be read."""
    for path in (shipped / name, cache_dir() / name):
        if not path.is_file():
            continue
        try:
            result = read(path)
        except Exception:  # noqa: BLE001 - a damaged or outdated file is computed again
            continue
        if result is not None:
            return result
    return None


def kept(
    name: str,
    shipped: Path,
    read: Callable[[Path], T | None],
    compute: Callable[[], T],
    dump: Callable[[T], bytes],
) -> T:
    """The result found (`found`), else computed and written to the cache folder for the next time."""
    result = found(name, shipped, read)
    if result is not None:
        return result
    result = compute()
    try:
        write(cache_dir() / name, dump(result))
    except OSError:
        pass  # a read-only disk only costs the computation next time
    return result
