"""Print the README's answer tables (Markdown): the verdicts over the gold treebank under both weightings, the
simple sentences beside them, and nsubj's and amod's adjacent and distant arcs apart.

    .venv/bin/python scripts/answer_table.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headscope import answer, atlas, corpus, models, verdict  # noqa: E402
from headscope.panels import head_name  # noqa: E402
from headscope.syntax import DIRECTION_SHORT, RELATION_NAMES, RELATIONS  # noqa: E402


def cell(ra: atlas.RelationAtlas | None) -> str:
    """One relation's verdict over one corpus, in a table cell."""
    if ra is None:
        return "no arcs"
    v = ra.verdict
    if v.verdict == verdict.FOLLOWS:
        heads = "; ".join(
            f"{head_name(h.layer, h.head)} {DIRECTION_SHORT[h.direction]} {h.accuracy:.2f} "
            f"(+{h.margin:.2f} [{h.margin_low:+.2f}, {h.margin_high:+.2f}])"
            for h in v.follows[:2]
        )
        more = f"; {len(v.follows) - 2} more" if len(v.follows) > 2 else ""
        return f"**follows**: {heads}{more}"
    best = v.heads[0]
    return f"**{v.verdict}** (best: {head_name(best.layer, best.head)} {best.accuracy:.2f})"


def main() -> None:
    """The tables, from the shipped atlases (computed where they are missing)."""
    loaded = models.load()
    gold = atlas.shipped(loaded, corpus.GOLD)
    norms = atlas.shipped(loaded, corpus.GOLD, "norms")
    simple = atlas.shipped(loaded, corpus.SIMPLE)
    print(
        f"{gold.corpus}: {gold.sentences:,} sentences scored, {gold.words:,} words; "
        f"{simple.corpus}: {simple.sentences:,} sentences.\n"
    )
    print(
        "| relation | arcs (gold) | best fixed offset | gold, attention weights | gold, weighted by norms | simple sentences (parsed), weights |"
    )
    print("| --- | ---: | --- | --- | --- | --- |")
    for r in RELATIONS:
        ra = gold.relations.get(r)
        offset = f"{ra.baseline_offset:+d}: {ra.baseline_accuracy:.2f}" if ra else "-"
        label = f"{RELATION_NAMES[r].replace('->', '→')} (`{r}`)"
        count = f"{ra.count:,}" if ra else "0"
        print(
            f"| {label} | {count} | {offset} | {cell(ra)} | {cell(norms.relations.get(r))} | {cell(simple.relations.get(r))} |"
        )
    print("\nAdjacent and distant arcs apart (gold, attention weights):\n")
    print("| relation | arcs | count | best offset | best heads |")
    print("| --- | --- | ---: | --- | --- |")
    for r in ("nsubj", "amod"):
        for row in answer.split_rows(gold.relations[r]):
            print(f"| `{r}` | {row['arcs']} | {row['count']:,} | {row['best offset']} | {row['best heads']} |")


if __name__ == "__main__":
    main()
