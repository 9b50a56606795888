"""Tables to read, drawn as Markdown: a plain HTML table in the page, with no JavaScript to load.

`st.table` and `st.dataframe` each make a page's first view fetch and compile Streamlit's Arrow
chunk (740 KB of JavaScript; `st.dataframe` adds its 490 KB data grid). On the Head atlas page,
that was 0.24 s of a fresh tab for a table of a dozen rows (bench: `python -m bench.pages`). A table
of a few dozen rows to read, not to sort, is built here once (in the shared caches) as Markdown:
every cell shown literally (`text.literal`), numbers right-aligned. A table to sort or search
(every head of the model) stays a `st.dataframe`, drawn when its expander is opened.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
import streamlit as st

from components.text import literal

DECIMALS = 3
"""Every number that is not whole is shown with this many decimals (the tables' builders round to it)."""


def cell(value) -> str:
    """One value as a Markdown table cell: text shown as typed, on one line."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return f"{float(value):.{DECIMALS}f}"
    return literal(" ".join(str(value).split()))


def markdown(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> str:
    """A DataFrame as a Markdown table ("" if it has no rows); `columns` picks, orders and renames columns (old: new)."""
    if frame.empty:
        return ""
    if columns is not None:  # those the frame has
        frame = frame[[c for c in columns if c in frame.columns]].rename(columns=columns)
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns
    ]
    lines = [
        "| " + " | ".join(cell(str(c)) for c in frame.columns) + " |",
        "|" + "".join("---:|" if right else "---|" for right in numeric),
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False, name=None)]
    return "\n".join(lines)


def show(table: str, notes: dict[str, str] | None = None, empty: str = "None.") -> None:
    """A table built by `markdown`, what its columns mean under it (`notes`, column: meaning; those of the
    columns it has), or `empty`."""
    if not table:
        st.caption(empty)
        return
    st.markdown(table)
    header = table.split("\n", 1)[0]
    shown = [(name, meaning) for name, meaning in (notes or {}).items() if f"| {literal(name)} |" in header]
    if shown:
        st.caption(" \u00b7 ".join(f"**{literal(name)}**: {meaning}" for name, meaning in shown))
