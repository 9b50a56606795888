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
from typing import Any, Mapping, Sequence

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


def markdown(table: pd.DataFrame | Sequence[Mapping[str, Any]], columns: dict[str, str] | None = None) -> str:
    """A table as Markdown ("" if it has no rows): a DataFrame, or rows as dicts (no DataFrame built: a page's
    tables for a new sentence are built while a class waits). `columns` picks, orders and renames columns
    (old: new). A column is right-aligned when its values are numbers."""
    if isinstance(table, pd.DataFrame):
        names = list(table.columns)
        rows = list(table.itertuples(index=False, name=None))
    else:
        names = list(dict.fromkeys(name for row in table for name in row))
        rows = [tuple(row.get(name) for name in names) for row in table]
    if not rows:
        return ""
    kept = list(range(len(names))) if columns is None else [names.index(c) for c in columns if c in names]
    header = [names[i] if columns is None else columns[names[i]] for i in kept]
    right = [_numeric([row[i] for row in rows]) for i in kept]
    lines = [
        "| " + " | ".join(cell(str(c)) for c in header) + " |",
        "|" + "".join("---:|" if r else "---|" for r in right),
    ]
    lines += ["| " + " | ".join(cell(row[i]) for i in kept) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(values: list) -> bool:
    """Whether a column holds numbers (gaps allowed, not yes/no)."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return bool(present) and all(isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) for v in present)


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
