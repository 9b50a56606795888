"""Write data/atlas/: the bundled model's atlas over each shipped corpus, under each weighting.

The app and the CLI read these before their disk cache, so that a fresh server gives the
verdict at once (the gold corpus takes about a minute to score per weighting). Run it again
whenever the method (atlas.ATLAS_VERSION), a shipped corpus or the bundled model changes:
the files are named by a hash of all three, and a stale one is simply not found.
`tests/test_shipped_atlas.py` checks that the files are there and that their counts agree
with a fresh computation.

    .venv/bin/python scripts/ship_atlas.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headscope import atlas, corpus, models, norms  # noqa: E402


def main() -> None:
    """Compute and write every shipped atlas; remove the files no longer named."""
    loaded = models.load()
    atlas.SHIPPED.mkdir(parents=True, exist_ok=True)
    keep = set()
    for key, source in corpus.SOURCES.items():
        for weighting in norms.WEIGHTINGS:
            name = atlas.cache_key(loaded.name, source.text(), weighting)
            keep.add(name)
            start = time.perf_counter()
            result = atlas.compute(loaded, corpus.shipped(key), weighting=weighting)
            atlas._save(result, atlas.SHIPPED / name)
            size = (atlas.SHIPPED / name).stat().st_size
            print(f"{name}: {source.name}, {weighting}, {time.perf_counter() - start:.0f} s, {size:,} bytes")
    for stale in atlas.SHIPPED.glob("atlas-*.npz"):
        if stale.name not in keep:
            stale.unlink()
            print(f"removed {stale.name}")


if __name__ == "__main__":
    main()
