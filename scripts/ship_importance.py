"""Write data/importance/: the bundled model's head importance over the bundled corpus, for each ablation.

The Switch heads off page and `bundled_importance` read these before the disk cache, so the
corpus column is there on a fresh server (it switches every head off in each of the corpus's
362 sentences: one to three minutes per ablation on one core). Run it again whenever the
method (knockout.IMPORTANCE_VERSION), the bundled corpus or the bundled model changes: the
files are named by a hash of all three, and a stale one is simply not found.
`tests/test_shipped_importance.py` checks that the files are there, that each average is the
mean of its sentences, and that sentences drawn from it agree with a fresh computation.

    make importance-data   (OMP_NUM_THREADS=1 .venv/bin/python scripts/ship_importance.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headscope import knockout, models  # noqa: E402
from scripts.shipping import ship  # noqa: E402


def main() -> None:
    """Compute and write the importance for every ablation; remove the files no longer named."""
    loaded = models.load()
    sentences = knockout.bundled_sentences()

    def write(path: Path, ablation: str) -> None:
        result = knockout.corpus_importance(loaded, sentences, ablation, "bundled corpus")
        knockout.write_importance(result, path)

    ship(
        knockout.SHIPPED,
        "importance-*.json",
        (
            (
                knockout.bundled_cache(loaded, ablation)[0].name,
                f"{ablation}, {len(sentences)} sentences",
                lambda path, a=ablation: write(path, a),
            )
            for ablation in knockout.ABLATIONS
        ),
    )


if __name__ == "__main__":
    main()
