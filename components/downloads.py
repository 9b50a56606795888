"""Download buttons for the data behind each view (built only when clicked)."""

from __future__ import annotations

import streamlit as st

from components import cached
from components.charts import file_name
from headscope import export, report
from headscope.attention import InputError
from headscope.language import NotEnglish
from headscope.syntax import ParseError

CSV_CELL_LIMIT = 2_000_000
"""Above this many weights, the CSV holds the current layer only (a CSV row is ~40 bytes)."""


def attention_buttons(s, layer: int | None) -> None:
    """The attention on screen as .npz (every layer) and as long-format .csv.

    The buttons keep the settings, not the array: Streamlit keeps a download's callable with
    the session, also for two minutes after it disconnects, so a captured array (72 MB at 512
    tokens) outlived the results cache. The array comes from that cache when clicked.
    """
    att = cached.attention_view(s)
    cells = att.weights.size
    layers = None if cells <= CSV_CELL_LIMIT or layer is None else [layer]
    left, right = st.columns(2)
    left.download_button(
        "Attention as .npz (array + tokens)",
        data=lambda: export.attention_npz(cached.attention_view(s)),
        file_name=file_name("attention", att.level) + ".npz",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        key="dl_npz",
        width="stretch",
    )
    label = "Attention as .csv" + ("" if layers is None else f" (layer {layer}; the text is long)")
    right.download_button(
        label,
        data=lambda: export.attention_csv(cached.attention_view(s), layers),
        file_name=file_name("attention", att.level, "" if layers is None else f"layer{layer}") + ".csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="dl_csv",
        width="stretch",
    )


def _relation_scores(s, relation: str):
    """One relation's scores for the sentence, from the shared cache (a download keeps settings, not results)."""
    return cached.sentence_syntax(s.model, s.text, s.weighting).relations[relation]


def scores_buttons(s, relation: str) -> None:
    """A relation's head ranking as .csv and .json."""
    row = st.container(horizontal=True)  # one block, side by side
    row.download_button(
        "Head scores as .csv",
        data=lambda: export.scores_csv(_relation_scores(s, relation)),
        file_name=file_name("scores", relation) + ".csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="dl_scores_csv",
        width="stretch",
    )
    row.download_button(
        "Head scores as .json",
        data=lambda: export.scores_json(_relation_scores(s, relation)),
        file_name=file_name("scores", relation) + ".json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key="dl_scores_json",
        width="stretch",
    )


def atlas_buttons(a, key: str) -> None:
    """An atlas as .csv (every head, relation and direction) and .json."""
    left, right = st.columns(2)
    left.download_button(
        "Atlas as .csv",
        data=lambda: export.atlas_csv(a),
        file_name=file_name("atlas") + ".csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_dl_csv",
        width="stretch",
    )
    right.download_button(
        "Atlas as .json",
        data=lambda: export.atlas_json(a),
        file_name=file_name("atlas") + ".json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_dl_json",
        width="stretch",
    )


def report_button(s, key: str) -> None:
    """One click: a self-contained HTML report of the sentence (Heads and Syntax heads)."""
    st.download_button(
        "Report of this sentence (.html, works offline)",
        data=lambda: report_html(s),
        file_name=file_name("report") + ".html",
        mime="text/html",
        on_click="ignore",
        icon=":material/description:",
        key=key,
        width="stretch",
    )


def report_html(s) -> str:
    """The report of the sentence; without its syntax part when the text or the parser fails there."""
    att = cached.attention_view(s)
    note = ""
    try:
        scores = cached.sentence_syntax(s.model, s.text, s.weighting) if att.square else None
        positional = cached.positional_heads(s.model, s.text)
    except (InputError, ParseError) as exc:  # as the pages do
        scores, positional = None, None
        note = str(exc) if isinstance(exc, NotEnglish) else ""  # the report says why it has no syntax part
    try:
        corpus_atlas = cached.corpus_atlas(s.model, s.weighting) if scores is not None else None
    except Exception:  # noqa: BLE001 - the report is whole without the corpus verdict (the page says why)
        corpus_atlas = None
    try:
        importance = cached.sentence_importance(s.model, s.text, "zero") if s.kind == "encoder" else None
    except Exception:  # noqa: BLE001 - a model whose heads cannot be switched off: the report goes without
        importance = None
    return report.build(att, scores, positional, corpus_atlas, importance, note)
