"""Pieces of the Model overview page: the role grid, the thresholds, one head's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from components import heatmaps, tables
from headscope import canvas, roles, verdict
from headscope.panels import head_name
from headscope.syntax import DIRECTION_SHORT


def _hover(stats: roles.HeadStats, labels, syntactic) -> list[list[str]]:
    """Hover text per head: its role and its main numbers."""
    layers, heads = labels.shape
    out = []
    for layer in range(layers):
        row = []
        for head in range(heads):
            extra = f"\nfollows (corpus): {', '.join(syntactic[(layer, head)])}" if (layer, head) in syntactic else ""
            row.append(
                f"{head_name(layer, head)}: {labels[layer, head]}\n"
                f"prev {stats.previous[layer, head]:.2f} · self {stats.same[layer, head]:.2f} · "
                f"next {stats.next[layer, head]:.2f}\nspecial {stats.special[layer, head]:.2f} · "
                f"punct {stats.punctuation[layer, head]:.2f} · entropy {stats.entropy[layer, head]:.2f}{extra}"
            )
        out.append(row)
    return out


def role_grid(stats: roles.HeadStats, syntactic: dict, title: str) -> tuple[int, int] | None:
    """The layer x head grid coloured by role; returns the clicked head, if any."""
    labels = roles.labels(stats, frozenset(syntactic))
    index = {name: i for i, name in enumerate(roles.ROLES)}
    values = np.vectorize(index.__getitem__)(labels).astype(np.float32)
    scale = canvas.Scale("role", kind="categorical", categories=tuple((r.name, r.colour) for r in roles.ROLE_TABLE))
    text = [[roles.ROLE_BY_NAME[r].short for r in row] for row in labels]
    data = canvas.heads_grid(values, title, scale, text=text, hover=_hover(stats, labels, syntactic))
    return heatmaps.show(data, key="role_grid", name="roles")


def thresholds() -> None:
    """How the roles are decided, from the one place the thresholds live."""
    with st.expander("How roles are decided"):
        st.markdown(
            "Each head gets the **first** role in this list whose test it passes; the shares are "
            "means over the sentence's words (rows), [CLS] and [SEP] rows left out.\n\n"
            + "\n".join(f"- **{name}**: {rule}" for name, rule in roles.THRESHOLDS.items())
            + "\n- **other**: none of the above.\n\n"
            + f"The rule for *follows*: {verdict.RULE}\n\n"
            "Sources: Clark et al. 2019 (*What Does BERT Look At?*, sections 3-4), Kovaleva et al. "
            "2019 (*Revealing the Dark Secrets of BERT*), Voita et al. 2019 (*Analyzing Multi-Head "
            "Self-Attention*). The thresholds are in `headscope/roles.py`."
        )


def numbers(layer: int, head: int, sentence: roles.HeadStats, corpus: roles.HeadStats | None) -> None:
    """One head's statistics, for this sentence and over the corpus."""
    rows = []
    for field, name in roles.HeadStats.NAMES.items():
        row = {"statistic": name, "this sentence": round(float(getattr(sentence, field)[layer, head]), 3)}
        if corpus is not None:
            row["corpus"] = round(float(getattr(corpus, field)[layer, head]), 3)
        rows.append(row)
    tables.show(tables.markdown(rows))


def all_heads_table(stats: roles.HeadStats, syntactic: dict) -> None:
    """Every head's numbers in one sortable table, built and sent only while its expander is open (a data grid
    costs a page's first view its 1.2 MB of JavaScript: see components/tables.py)."""
    box = st.expander("All heads as a table", key="overview_all_heads", on_change="rerun")
    if not box.open:
        return
    labels = roles.labels(stats, frozenset(syntactic))
    layers, heads = labels.shape
    rows = []
    for layer in range(layers):
        for head in range(heads):
            row = {"head": head_name(layer, head), "role": labels[layer, head]}
            row.update(
                {name: round(float(getattr(stats, f)[layer, head]), 3) for f, name in roles.HeadStats.NAMES.items()}
            )
            row["follows (corpus)"] = ", ".join(syntactic.get((layer, head), []))
            rows.append(row)
    with box:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def follows_line(corpus_atlas, layer: int, head: int) -> str:
    """The relations a head follows over the corpus, with margins and intervals (markdown)."""
    parts = []
    for relation in corpus_atlas.syntactic_relations().get((layer, head), []):
        v = corpus_atlas.relations[relation].verdict
        h = next(f for f in v.follows if (f.layer, f.head) == (layer, head))
        parts.append(
            f"**{relation}** ({DIRECTION_SHORT[h.direction]}, +{h.margin:.2f}, 95% interval {h.margin_low:+.2f} "
            f"to {h.margin_high:+.2f})"
        )
    return (
        f"Follows over {corpus_atlas.corpus} ({corpus_atlas.sentences:,} sentences), by the margin over the "
        "best fixed offset: " + ", ".join(parts) + "."
    )
