"""The Compare page under AppTest: texts of other lengths compared over the words they share and head by head."""

from __future__ import annotations

from components.state import COMPARE_TAB, COMPARE_TABS
from tests.support import app_grids, app_tables, linked_app, on_page, texts

SHORT, LONG = "The cat sat.", "The cats that the dog chased sat."
DIFFERENCE, NUMBERS, RANKING = COMPARE_TABS


def test_texts_of_other_lengths_are_compared_over_the_words_they_share():
    app = on_page("pages/compare.py", text=SHORT, compare_text=LONG)
    grids = app_grids(app)
    captions = [c.value for c in app.caption]
    assert not [c for c in captions if "Not drawn" in c], captions
    assert app.session_state[COMPARE_TAB] == DIFFERENCE and "ctab" not in app.query_params  # the default
    # A and B whole; in the tab open first, both among the shared words and their difference
    assert [len(g["panels"]) for g in grids] == [12] * 5
    assert len(app_tables(app)) == 0  # the other tabs' sections do not run
    shared_a, shared_b, diff = grids[2:5]
    assert shared_a["rowLabels"] == ["[CLS]", "The", "sat", ".", "[SEP]"]
    assert shared_b["rowLabels"] == ["[CLS]", "The\u00b71", "sat", ".", "[SEP]"]  # B has "the" twice
    assert diff["rowLabels"] == ["[CLS]", "The/The\u00b71", "sat", ".", "[SEP]"] == diff["colLabels"]
    assert diff["scale"]["kind"] == "diverging" and diff["scale"]["lo"] < 0 < diff["scale"]["hi"]
    assert shared_a["scale"] == shared_b["scale"]
    assert "Compared: the attention among the 5 words both have" in " ".join(m.value for m in app.markdown)

    app.session_state[COMPARE_TAB] = NUMBERS  # what a click on the tab sets
    app.run()
    stats = app_grids(app)[2:]  # A and B; then a statistic for A and B, and A - B
    assert [p["name"] for g in stats for p in g["panels"]] == ["A", "B", "A \u2212 B"]
    assert all(g["clickable"] == "cell" for g in stats) and stats[1]["scale"]["kind"] == "diverging"
    assert "Compared: one number per head" in " ".join(m.value for m in app.markdown)
    assert app.query_params["ctab"] in (NUMBERS, [NUMBERS])  # the open tab is in the link

    app.session_state[COMPARE_TAB] = RANKING
    app.run()
    assert len(app_grids(app)) == 2 and len(app_tables(app)) == 2  # A and B; the head ranking of both


def test_a_click_on_a_head_of_the_statistics_opens_it_in_both():
    app = on_page("pages/compare.py", text=SHORT, compare_text=LONG, compare_stat="arcs:nsubj", compare_tab=NUMBERS)
    app.session_state["compare_stats"] = {"head": {"layer": 3, "head": 1}}  # what a click in the browser sets
    app.run()
    assert not app.exception
    grids = app_grids(app)
    stats = [g for g in grids if g["clickable"] == "cell"]
    assert [g["selected"] for g in stats] == [{"layer": 3, "head": 1}] * 2  # outlined in A, B and A - B
    assert stats[0]["scale"]["title"] == "found"
    assert any(m.value == "#### L3H1" for m in app.markdown)
    table = app_tables(app)[0]
    assert list(table.columns) == ["statistic", "A", "B", "A \u2212 B"] and len(table) == 8
    large = [g for g in grids if g.get("zoomable")]
    assert [g["panels"][0]["name"] for g in large] == ["L3H1", "L3H1"]  # the head in A and in B
    assert len(large[0]["rowLabels"]) == 6 and len(large[1]["rowLabels"]) == 10  # [CLS] ... [SEP] of each text


def test_same_length_other_words_can_be_lined_up_either_way():
    app = on_page("pages/compare.py")  # the page's own pair: as many tokens, other words
    assert len(app_grids(app)) == 3  # A, B, token by token
    assert app.radio(key="compare_align").value == "position"
    app.radio(key="compare_align").set_value("words").run()
    grids = app_grids(app)
    assert len(grids) == 5 and grids[4]["rowLabels"][2:4] == ["sat", "the\u00b76/the\u00b74"]


def test_nothing_shared_says_so():
    for hide in (False, True):  # [CLS] and [SEP] alone are not words both share
        app = on_page("pages/compare.py", text="Dogs bark.", compare_text="Cats sleep in the sun!", hide_special=hide)
        assert not app.exception
        assert any("no word is in both sentences" in c.value for c in app.caption)
        assert len(app_grids(app)) == 2  # A and B


def test_a_link_opens_the_statistic_and_the_head():
    params = {"text": SHORT, "ctext": LONG, "cstat": "arcs:nsubj", "chead": "L3H1", "calign": "words"}
    app = linked_app(params, "pages/compare.py")  # a link from before the tabs: the head's tab opens
    assert app.session_state[COMPARE_TAB] == NUMBERS
    assert app.selectbox(key="compare_stat").value == "arcs:nsubj"
    assert any(m.value == "#### L3H1" for m in app.markdown)
    assert app.query_params["cstat"] in ("arcs:nsubj", ["arcs:nsubj"]) and app.query_params["chead"] in (
        "L3H1",
        ["L3H1"],
    )
    bad = linked_app({"cstat": "entropy"})  # not offered (nats grow with length): said where the link opens
    assert "Ignored cstat='entropy' from the link" in " ".join(texts(bad.warning) + texts(bad.sidebar.warning))
    other = linked_app({"chead": "L99H1"}, "pages/compare.py")  # not a head of this model: nothing opens
    assert not any(m.value.startswith("#### L") for m in other.markdown)
    ranking = linked_app({"text": SHORT, "ctext": LONG, "ctab": RANKING}, "pages/compare.py")
    assert ranking.session_state[COMPARE_TAB] == RANKING and len(app_tables(ranking)) == 2
    bad = linked_app({"ctab": "Everything"})  # said where the link opens, and left out
    assert "Ignored ctab='Everything' from the link" in " ".join(texts(bad.warning) + texts(bad.sidebar.warning))
    assert COMPARE_TAB not in bad.session_state


def test_a_click_on_a_head_only_the_larger_model_has_closes_the_open_one(tiny_folders):
    """Two models of other sizes: A's grid and B's each take clicks; a head of B alone is not a head of both."""
    state = dict(
        model_choice="A local folder…",
        model_custom=str(tiny_folders["bert"]),
        compare_mode="models",
        compare_tab=NUMBERS,
    )
    app = on_page("pages/compare.py", **state)  # A: a tiny model, 2 layers x 4 heads; B: the bundled one, 6 x 12
    assert not app.exception
    assert [p["name"] for g in app_grids(app) if g["clickable"] == "cell" for p in g["panels"]] == ["A", "B"]
    app.session_state["compare_stats"] = {"head": {"layer": 1, "head": 1}}  # a head of both
    app.run()
    assert any(m.value == "#### L1H1" for m in app.markdown)
    app.session_state["compare_stats"] = {"head": {"layer": 3, "head": 1}}  # in B's grid, beyond A's
    app.run()
    assert not any(m.value.startswith("#### L") for m in app.markdown)
    assert any(c.value.startswith("Click a head") for c in app.caption)
