"""Plotly figures that are not matrices (bars) and the labels they share with the grids."""

from __future__ import annotations

from headscope import figures, panels


def test_axis_labels_keep_duplicates_apart_and_escape_markup():
    assert figures.axis_labels(["[CLS]", "the", "cat", "the"]) == ["[CLS]", "the\u00b71", "cat", "the\u00b73"]
    assert figures.axis_labels(["<b>"]) == ["&lt;b&gt;"]
    assert panels.token_labels(["<b>", "<b>"]) == ["<b>\u00b70", "<b>\u00b71"]  # the grids set labels as text


def test_pooled_labels_name_their_token_range():
    assert panels.pooled_labels(["[CLS]", "a", "<b>", "c", "[SEP]"], 2) == [
        "0\u20131 [CLS]\u2026a",
        "2\u20133 <b>\u2026c",
        "4\u20134 [SEP]\u2026[SEP]",
    ]
    assert panels.pooled_labels(["x", "y", "z"], 2, first=10) == ["10\u201311 x\u2026y", "12\u201312 z\u2026z"]
