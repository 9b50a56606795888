"""The one way the ship_* scripts write data/: each file timed and reported, then the stale ones removed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable


def ship(folder: Path, pattern: str, files: Iterable[tuple[str, str, Callable[[Path], None]]]) -> None:
    """Write each (file name, what it holds, writer of that path) into `folder`, saying how long it took and how
    big it is; then remove the files matching `pattern` that were not written (their names are stale)."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for name, what, write in files:
        keep.add(name)
        start = time.perf_counter()
        write(folder / name)
        took = time.perf_counter() - start
        print(f"{name}: {what}, {took:.0f} s, {(folder / name).stat().st_size:,} bytes", flush=True)
    for stale in folder.glob(pattern):
        if stale.name not in keep:
            stale.unlink()
            print(f"removed {stale.name}")
