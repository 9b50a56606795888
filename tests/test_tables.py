"""Markdown tables (components/tables.py): every cell shown as typed, read back as it was built."""

import math

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from components import tables
from tests.support import app_tables

AWKWARD = ["a|b", "*bold*", "$x$", "<b>x</b>", ":red[x]", "[link](http://x)", "back\\slash", "two\nlines"]


def _shown(frame: pd.DataFrame, **kwargs) -> AppTest:
    def page(frame, kwargs):
        from components import tables

        tables.show(tables.markdown(frame, **kwargs), notes={"word": "what the model read"})

    return AppTest.from_function(page, args=(frame, kwargs)).run()


def test_every_cell_comes_back_as_it_was_written():
    frame = pd.DataFrame({"word": AWKWARD, "score": np.linspace(0, 1, len(AWKWARD)).round(3)})
    at = _shown(frame)
    assert not at.exception
    (back,) = app_tables(at)
    assert list(back.columns) == ["word", "score"]
    assert list(back["word"]) == [" ".join(w.split()) for w in AWKWARD]  # one line a cell
    assert back["score"].tolist() == frame["score"].tolist()
    assert "**word**: what the model read" in at.caption[0].value


def test_cells_numbers_and_gaps():
    assert tables.cell(float("nan")) == tables.cell(None) == "\u2013"
    assert tables.cell(True) == tables.cell(np.True_) == "yes" and tables.cell(False) == "no"
    assert tables.cell(np.int64(7)) == "7" and tables.cell(np.float32(0.5)) == "0.500"
    assert tables.cell("L2H8") == "L2H8" and tables.cell("a|b") == "a\\|b"
    assert tables.cell(math.pi) == "3.142"


def test_numbers_right_aligned_columns_picked_and_renamed():
    frame = pd.DataFrame({"head": ["L0H1"], "long name": [0.25], "unused": ["x"]})
    text = tables.markdown(frame, columns={"head": "head", "long name": "short", "absent": "never"})
    assert text.splitlines()[:2] == ["| head | short |", "|---|---:|"]
    assert tables.markdown(pd.DataFrame()) == ""


def test_an_empty_table_says_so():
    def page():
        from components import tables

        tables.show("", empty="Nothing here.")

    at = AppTest.from_function(page).run()
    assert [c.value for c in at.caption] == ["Nothing here."] and not at.markdown


def test_rows_as_dicts_make_the_table_a_dataframe_makes():
    rows = [{"head": "L0H1", "score": 0.25, "found": True, "gap": None}, {"head": "a|b", "score": 1.0, "gap": 0.5}]
    assert tables.markdown(rows) == tables.markdown(pd.DataFrame(rows))
    assert tables.markdown(rows).splitlines()[1] == "|---|---:|---|---:|"
    assert tables.markdown(rows, columns={"score": "s", "head": "h"}).splitlines()[0] == "| s | h |"
    assert tables.markdown([]) == ""
