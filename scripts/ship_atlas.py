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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headscope import atlas, corpus, models, norms  # noqa: E402
from scripts.shipping import ship  # noqa: E402


def main() -> None:
    """Compute and write every shipped atlas; remove the files no longer named."""
    loaded = models.load()

    def files():
        for key, source in corpus.SOURCES.items():
            for weighting in norms.WEIGHTINGS:
                yield (
                    atlas.cache_key(loaded.name, source.text(), weighting),
                    f"{source.name}, {weighting}",
                    lambda path, key=key, weighting=weighting: atlas.save(
                        atlas.compute(loaded, corpus.shipped(key), weighting=weighting), path
                    ),
                )

    ship(atlas.SHIPPED, "atlas-*.npz", files())


if __name__ == "__main__":
    main()
