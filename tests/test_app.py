"""The app under Streamlit's own test runner (AppTest): every page runs, the right figures appear."""

from __future__ import annotations

import re

import pytest

from tests import tiny
from tests.support import (
    app_arcs,
    app_figures,
    app_grids,
    app_tables,
    heads_drawn,
    linked_app,
    on_page,
    run_app,
    texts,
)


def test_home_page_opens_on_the_layer_of_the_subject_verb_answer():
    app = run_app()
    assert heads_drawn(app) == 12 and not app_figures(app)  # a canvas grid: no plotly on the first paint
    grid = app_grids(app)[0]
    assert [p["name"] for p in grid["panels"]][:2] == ["L2H0", "L2H1"]  # L2H8 follows nsubj (test_answer.py)
    assert grid["colLabels"][:3] == ["[CLS]", "the\u00b71", "black"] and grid["ticks"]
    assert any("numbered from 0" in m.value for m in app.markdown)
    assert any("the\u00b76 is the token at position 6" in c.value for c in app.caption)  # "the·1" explained
    assert [e.label for e in app.main.expander] == [
        "What is an attention head, and how do I read these heatmaps?",
        "New here? A five-step tour",
        "How is this decided? What do the outlines and badges mean?",
    ]
    assert [e.label for e in app.sidebar.expander] == ["Share this view"]
    assert [t.key for t in app.sidebar.toggle] == ["whole_words", "norm_weighted", "hide_special"]
    assert app.sidebar.text_area(key="text").value == "The black cat sat on the mat."
    assert not app.warning


def test_layer_picker_changes_the_layer():
    app = run_app()
    app.select_slider(key="layer").set_value(4).run()
    assert app_grids(app)[0]["panels"][0]["name"] == "L4H0"


def test_all_layers_switch_shows_72():
    app = run_app(all_layers=True)
    grid = app_grids(app)[0]
    assert heads_drawn(app) == 72 and grid["clickable"] and not grid["ticks"]
    assert (grid["panels"][13]["layer"], grid["panels"][13]["head"]) == (1, 1)
    assert any("Click a head" in c.value for c in app.caption)


def test_a_clicked_head_opens_large_and_only_if_it_is_in_the_grid(tiny_folders):
    app = run_app(all_layers=True)
    app.session_state["model_grid"] = {"head": {"layer": 3, "head": 5}}  # what a click in the browser sets
    app.run()
    grids = app_grids(app)
    assert [h.value for h in app.subheader] == ["L3H5"] and len(grids) == 2
    assert grids[0]["selected"] == {"layer": 3, "head": 5}  # drawn outlined
    assert [p["name"] for p in grids[1]["panels"]] == ["L3H5"] and grids[1]["zoomable"]  # opened large
    assert grids[1]["reveal"] and dict(app.query_params)["head"] == "L3H5"  # in view, and in the link
    app.run()
    assert [h.value for h in app.subheader] == ["L3H5"] and not app_grids(app)[1]["reveal"]  # scrolled there once
    # the same state after a switch to a model with 2 layers: no such head, nothing opened, no error
    app.session_state["model_choice"] = "A local folder…"
    app.session_state["model_custom"] = str(tiny_folders["bert"])
    app.run()
    assert not app.exception and not app.error and not app.subheader and heads_drawn(app) == 8, app.subheader
    # whatever else a browser could send is ignored
    for bad in (
        {"layer": "x", "head": 3},
        {"layer": -1, "head": -1},
        {"layer": True, "head": 0},
        {"layer": 1.0, "head": 1},
        {"layer": 1},
        ["L1H1"],
    ):
        app.session_state["model_grid"] = {"head": bad}
        app.run()
        assert not app.exception and not app.error and not app.subheader, bad


def test_new_sentence_pieces_words_and_no_specials():
    text = "Tokenization is unbelievably straightforward."
    assert app_grids(run_app(text=text))[0]["colLabels"][1:3] == ["token", "##ization"]
    assert app_grids(run_app(text=text, whole_words=True))[0]["rowLabels"] == [
        "[CLS]",
        "Tokenization",
        "is",
        "unbelievably",
        "straightforward",
        ".",
        "[SEP]",
    ]
    assert app_grids(run_app(text=text, whole_words=True, hide_special=True))[0]["colLabels"] == [
        "Tokenization",
        "is",
        "unbelievably",
        "straightforward",
        ".",
    ]


def test_empty_text_gets_a_message_not_a_crash():
    app = run_app(text="   ")
    assert heads_drawn(app) == 0
    assert any("empty" in i.value for i in app.info)


def test_long_text_warns_with_dropped_count():
    app = run_app(text=" ".join(["cat"] * 600))
    assert any("90 tokens were dropped" in w.value for w in app.warning)
    grid = app_grids(app)[0]  # 512 tokens: heads pooled to 171 x 171 cells, each with its weight for the hover
    assert len(grid["panels"]) == 12 and grid["rows"] == grid["cols"] == 171 and grid["pooled"]


def test_heads_page_runs_on_its_own():
    assert heads_drawn(run_app("../pages/heads.py")) == 12


def test_reruns_keep_the_sidebar():
    # A fresh server (and AppTest) first runs in Streamlit's old pages/ mode; nav.ensure_app
    # sends every run through app.py, so the sidebar survives a rerun.
    app = run_app()
    app.text_area(key="text").set_value("Dogs chase squirrels.").run()
    assert [t.key for t in app.sidebar.toggle] == ["whole_words", "norm_weighted", "hide_special"]
    assert "squirrels" in app_grids(app)[0]["colLabels"]


def test_a_link_opens_a_head_and_a_click_in_one_layer_opens_one():
    app = linked_app({"all": "1", "head": "L3H1"})
    assert [h.value for h in app.subheader] == ["L3H1"] and app_grids(app)[0]["selected"] == {"layer": 3, "head": 1}
    app = linked_app({"layer": "4", "head": "L9H1"})  # not in this model (or this layer): nothing opens
    assert not app.subheader and not app.exception
    app = run_app()
    app.session_state["layer_grid_2"] = {"head": {"layer": 2, "head": 8}}
    app.run()
    grids = app_grids(app)
    assert [h.value for h in app.subheader] == ["L2H8"] and grids[0]["clickable"] == "panel"
    assert [p["name"] for p in grids[1]["panels"]] == ["L2H8"] and dict(app.query_params)["head"] == "L2H8"


def test_syntax_page_ranks_heads_for_nsubj():
    app = on_page("pages/syntax.py", text="The keys to the old cabinet are on the table.")
    assert app.title[0].value == "Syntax heads"
    assert app.segmented_control(key="relation").value == "nsubj"
    assert not app_figures(app)  # the arc diagram is our own component, not plotly
    arc_labels = [a["relation"] for a in app_arcs(app)[0]["arcs"]]
    assert "nsubj" in arc_labels and "amod" in arc_labels
    top = app_grids(app)[0]
    assert len(top["panels"]) == 4
    assert [len(p["outlines"]) for p in top["panels"]] == [1, 1, 1, 1]  # one nsubj arc, outlined in each of 4 heads
    assert top["colLabels"][:3] == ["The", "keys", "to"]  # parser words
    first = top["panels"][0]
    assert first["name"] == "L2H8" and first["badge"].startswith("follows")  # the corpus answer first
    split, arcs, follows, sentence = app_tables(app)[:4]  # Markdown: no JavaScript to load (components/tables.py)
    assert list(split["arcs"]) == ["adjacent", "distant"]  # under the answer: position or syntax over the corpus
    assert list(arcs["arc"][:1]) == ["keys \u2192 are"] and list(arcs["here"][:1]) == ["misses it"]  # arc by arc
    assert list(follows["head"][:1]) == ["L2H8"] and "95% interval" in follows  # the answer leads, with its numbers
    assert len(sentence) == 12 and list(sentence["head"][:1]) == ["L3H1"]  # then this sentence's evidence
    assert "mean weight" in sentence and sentence["follows (corpus)"][0] == "no"  # short names, explained under it
    assert "positional" not in sentence and set(sentence["direction"]) <= {"dep\u2192head", "head\u2192dep"}
    assert any("**beats baseline**: it finds more" in c.value for c in app.caption)
    assert any("Sentence and corpus disagree" in i.value and "L3H1" in i.value and "L2H8" in i.value for i in app.info)
    assert any("no fixed offset" in m.value for m in app.markdown)
    assert any("Subject far from its verb" in i.value for i in app.info)


def test_syntax_example_buttons_and_relations():
    app = on_page("pages/syntax.py")
    app.button(key="example_1").click().run()
    assert app.session_state["text"] == "The cat, black and sleek, sat on the mat."
    assert any("Adjective after its noun" in i.value for i in app.info)
    app.segmented_control(key="relation").set_value("amod").run()
    assert not app.exception
    assert [len(p["outlines"]) for p in app_grids(app)[0]["panels"]] == [1, 1, 1, 1]  # black -> cat
    app.segmented_control(key="relation").set_value("poss").run()
    assert any("has no **poss** arc" in i.value for i in app.info)


def test_syntax_page_positional_heads_are_apart():
    app = on_page("pages/syntax.py", relation="amod")  # "black cat": L0H2 (previous token) ranks high
    sentence, positional = app_tables(app)[-2:]
    assert "L0H2" not in set(sentence["head"]) and "positional" not in sentence  # not there at all: no such column
    assert dict(zip(positional["head"], positional["positional"])).get("L0H2") == "previous token"


def test_syntax_page_empty_text():
    app = on_page("pages/syntax.py", text=" ")
    assert any("empty" in i.value for i in app.info)


def test_atlas_page_bundled_corpus():
    app = run_app()
    app.switch_page("pages/atlas.py").run()
    assert not app.exception
    table = app_tables(app)[0]
    assert list(table["relation"][:4]) == ["nsubj", "amod", "det", "dobj (UD: obj)"]  # UD's name where it differs
    nsubj = table[table["relation"] == "nsubj"].iloc[0]
    assert nsubj["arcs"] >= 3000 and nsubj["verdict"] == "follows"
    assert nsubj["followed by"] == "L2H8; L1H4; L2H1; 4 more"
    margins = [c.value for c in app.caption if c.value.startswith("Heads that follow nsubj")]
    assert len(margins) == 1 and "L2H8 dep\u2192head +0.2" in margins[0]  # under the table, with the interval
    assert table[table["relation"] == "amod"].iloc[0]["verdict"] == "follows"  # gold data
    split = app_tables(app)[1]
    assert list(split["arcs"]) == ["adjacent", "distant"] and split["count"].sum() == nsubj["arcs"]
    app.radio(key="atlas_source").set_value("simple").run()  # the simple sentences: amod positional there
    simple = app_tables(app)[0]
    assert simple[simple["relation"] == "amod"].iloc[0]["verdict"] == "positional"
    assert app.session_state["verdict_corpus"] == "simple"  # and every page's verdicts now come from it
    app.radio(key="atlas_source").set_value("gold").run()
    assert any("previous token" in c.value for c in app.caption)
    grid = app_grids(app)[0]
    assert (grid["rows"], grid["cols"], grid["scale"]["title"]) == (6, 12, "accuracy")
    assert "nsubj" in grid["panels"][0]["name"]
    text = grid["panels"][0]["text"]
    following = {tuple(o) for o in grid["panels"][0]["outlines"]}  # the heads that follow it, outlined and starred
    assert (2, 8, 2, 8) in following and len(following) == 7
    assert all(text[layer * 12 + head].endswith("\u2605") for layer, head, _, _ in following)


def test_atlas_page_upload_conllu_and_a_broken_file():
    from tests.test_atlas import CONLLU

    app = run_app(atlas_source="upload")
    app.switch_page("pages/atlas.py").run()
    app.file_uploader(key="atlas_upload").upload("mine.conllu", CONLLU.encode()).run()
    assert not app.exception
    assert any("mine\\.conllu" in m.value for m in app.markdown)  # the file name shown literally (markdown-escaped)
    assert "dobj (UD: obj)" in list(app_tables(app)[0]["relation"])
    app.file_uploader(key="atlas_upload").upload("bad.conllu", b"1\tA\n").run()
    assert not app.exception
    assert any("line 1" in e.value for e in app.error)


@pytest.mark.parametrize("page", ["../pages/syntax.py", "../pages/atlas.py"])
def test_pages_run_on_their_own(page):
    at = run_app(page)
    assert len(app_grids(at)) >= 1


def test_overview_page_role_grid():
    app = on_page("pages/overview.py")
    assert not app_figures(app)
    grid = app_grids(app)[0]
    assert (grid["rows"], grid["cols"], grid["clickable"], grid["scale"]["kind"]) == (6, 12, "cell", "categorical")
    text = grid["panels"][0]["text"]
    assert text[2] == "prev" and text[12 + 8] == "next"  # L0H2 previous token, L1H8 next token
    assert grid["panels"][0]["hover"][2].startswith("L0H2: previous token")
    assert "Head roles over this sentence" in grid["panels"][0]["name"]
    # a click on a cell (what the browser sets) opens that head
    app.session_state["role_grid"] = {"head": {"layer": 1, "head": 8}}
    app.run()
    assert [h.value for h in app.subheader] == ["L1H8"] and app_grids(app)[1]["panels"][0]["name"] == "L1H8"
    app.session_state["role_grid"] = {"head": {"layer": 6, "head": 0}}  # no such head: nothing opens
    app.run()
    assert not app.exception and not app.subheader
    assert any(e.label == "How roles are decided" for e in app.expander)
    assert not app.dataframe  # every head's table is built only when its expander is opened
    app.session_state["overview_all_heads"] = True  # what opening it sets
    app.run()
    assert len(app.dataframe[0].value) == 72


def test_overview_page_corpus_switch():
    app = on_page("pages/overview.py", overview_corpus=True)
    panel = app_grids(app)[0]["panels"][0]
    assert "UD English-EWT dev+test (gold)" in panel["name"]
    assert panel["text"][2] == "prev"


def test_inside_page_check_and_steps():
    app = on_page("pages/inside.py", inside_layer=3, inside_head=5)
    check = next(c.value for c in app.caption if c.value.startswith("Check:"))
    assert "L3H5" in check and "same weights" in check and not app.metric
    assert float(re.search(r"at most ([0-9.e+-]+)", check).group(1).rstrip(",")) < 1e-5
    titles = [g["panels"][0]["name"] for g in app_grids(app)]
    assert titles[0] == "input [10 x 384]"
    assert "Q (queries) [10 x 32]" in titles and "Q K^T / 5.657" in titles
    assert any("concatenated heads" in t for t in titles)
    assert any(m.value.startswith("#### 3. Scores") for m in app.markdown)


def test_inside_page_says_when_it_cannot_take_a_model_apart(tmp_path):
    folder = tiny.make("xlnet", tmp_path / "xlnet")
    app = on_page("pages/inside.py", model_choice="A local folder…", model_custom=str(folder))
    assert not app.sidebar.error, [e.value for e in app.sidebar.error]
    assert any("cannot take apart a xlnet model" in w.value for w in app.warning)


def test_rollout_page():
    app = on_page("pages/rollout.py")
    grids = app_grids(app)
    assert len(grids) == 2 and len(app_figures(app)) == 1  # two matrices, then the bars
    assert grids[1]["panels"][0]["name"] == "rollout through layers 0-5"
    assert app.selectbox(key="rollout_token").value == 2


@pytest.mark.parametrize("page, key", [("pages/rollout.py", "rollout_token"), ("pages/inside.py", "inside_query")])
def test_token_pickers_show_markup_as_typed(page, key):
    # plotly labels are entity-escaped (figures.axis_labels); a widget shows text as it is
    app = on_page(page, text="a <b> & b")
    options = app.selectbox(key=key).options
    assert "<" in options and "&" in options and not any("&lt;" in o or "&amp;" in o for o in options), options


@pytest.mark.parametrize("page", ["../pages/overview.py", "../pages/inside.py", "../pages/rollout.py"])
def test_issue4_pages_run_on_their_own(page):
    assert len(app_grids(run_app(page))) >= 1


PAGES = (
    "pages/heads.py",
    "pages/syntax.py",
    "pages/atlas.py",
    "pages/overview.py",
    "pages/inside.py",
    "pages/rollout.py",
    "pages/bertviz.py",
)


@pytest.mark.parametrize(
    "family", ["bert", "roberta", "distilbert", "albert", "electra", "deberta", "gpt2", "bart", "t5"]
)
def test_every_page_runs_on_every_family(tiny_folders, family):
    state = dict(model_choice="A local folder…", model_custom=str(tiny_folders[family]))
    app = run_app(**state)
    assert not app.sidebar.error, [e.value for e in app.sidebar.error]
    assert "2 layers x 4 heads" in " ".join(c.value for c in app.sidebar.caption)
    assert heads_drawn(app) == 4  # the 4 heads of layer 0
    for page in PAGES[1:]:
        app.switch_page(page).run()
        assert not app.exception, (page, app.exception)
        assert not app.error, (page, [e.value for e in app.error])
    if family in ("bart", "t5"):
        for kind in ("decoder", "cross"):
            app = run_app(target="Die Katze sass.", kind=kind, **state)
            grid = app_grids(app)[0]
            assert grid["rowLabels"][1] == "[CLS]"  # after the decoder's start token, the target's tokens
            if kind == "cross":
                assert grid["colLabels"][1:3] == ["the\u00b71", "black"]  # columns: the source
            for page in PAGES[1:]:
                app.switch_page(page).run()
                assert not app.exception, (page, kind, app.exception)


def test_a_model_that_fails_to_load_falls_back_with_a_message(tmp_path):
    app = run_app(model_choice="A local folder…", model_custom=str(tmp_path / "missing"))
    assert any("there is no folder" in e.value for e in app.sidebar.error)
    assert heads_drawn(app) == 12  # the bundled model instead


def test_a_shared_link_restores_the_view():
    app = linked_app(
        {"text": "Tokenization is unbelievably straightforward.", "layer": "3", "words": "1", "nospecial": "1"}
    )
    assert not app.sidebar.expander[0].code  # the link is drawn once the share box is opened
    app.session_state["share_open"] = True
    app.run()
    grid = app_grids(app)[0]
    assert grid["panels"][0]["name"] == "L3H0"
    assert grid["colLabels"] == ["Tokenization", "is", "unbelievably", "straightforward", "."]
    assert app.sidebar.toggle(key="whole_words").value is True
    link = app.sidebar.expander[0].code[0].value
    assert "layer=3" in link and "words=1" in link and "nospecial=1" in link
    assert "text=Tokenization+is+unbelievably" in link


def test_the_address_bar_follows_the_view():
    app = run_app(text="Dogs bark.", all_layers=True)
    assert dict(app.query_params) == {"text": "Dogs bark.", "all": "1"}


def test_the_layer_slider_moves_the_figure_and_the_link():
    # AppTest reruns the whole script on a widget change; that only the fragment reruns in a
    # browser, and that it keeps the URL in step itself, is test_browser_share.py's to check
    app = run_app(text="Dogs bark.")
    app.select_slider(key="layer").set_value(4).run()
    assert app_grids(app)[0]["panels"][0]["name"] == "L4H0"
    assert dict(app.query_params) == {"text": "Dogs bark.", "layer": "4"}
    assert [t.key for t in app.sidebar.toggle] == ["whole_words", "norm_weighted", "hide_special"]


def test_a_link_to_another_page_keeps_its_state():
    app = linked_app({"relation": "amod", "text": "The cat, black and sleek, sat on the mat."}, "pages/syntax.py")
    assert app.segmented_control(key="relation").value == "amod"
    assert any("Adjective after its noun" in i.value for i in app.info)


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"layer": "99"}, "Layer 99 does not exist in this model (0 to 5); showing layer 0"),
        ({"layer": "-1"}, "ignored layer='-1' from the link (out of range)"),
        ({"layer": "two"}, "ignored layer='two' from the link"),
        ({"words": "maybe"}, "ignored words='maybe' from the link (not 0 or 1)"),
        ({"model": "some/unknown-model"}, "not in the local cache and the hub cannot be reached"),
        ({"model": "/etc"}, "has no config.json"),
        ({"model": "/etc/passwd"}, "there is no folder"),
        ({"text": "x" * 20_001}, "longer than 20,000 characters"),
        ({"kind": "sideways"}, "not one of encoder, decoder, cross"),
        ({"bogus": "1"}, "unknown link parameters: bogus"),
    ],
)
def test_bad_links_fall_back_with_a_notice(params, notice):
    app = linked_app(params)
    said = " ".join(texts(app.warning)) + " ".join(texts(app.sidebar.error))  # link text, as the user reads it
    assert notice.lower() in said.lower(), said
    assert heads_drawn(app) == 12  # and the page still works, on the defaults


def test_bad_head_in_an_inside_link():
    app = linked_app({"ilayer": "2", "ihead": "40"}, "pages/inside.py")
    assert any("Head 40 does not exist" in w.value for w in app.warning)
    assert any("L2H0" in c.value for c in app.caption if c.value.startswith("Check:"))


def test_bertviz_page():
    app = on_page("pages/bertviz.py")
    frames = [e for e in app.get("bidi_component") if e.proto.component_name == "headscope_sandboxed_frame"]
    assert len(frames) == 1  # a real sandbox, not st.iframe (tests/test_security.py)
    app = on_page("pages/bertviz.py", bertviz_view="neuron")
    assert any("neuron view needs" in i.value for i in app.info)
    app = on_page("pages/bertviz.py", text=" ".join(["cat"] * 300))
    assert any("too many" in w.value for w in app.warning)


def test_compare_two_sentences():
    app = on_page("pages/compare.py", text="The cat sat on the mat.", compare_text="The dog sat on the rug.")
    grids = app_grids(app)
    assert len(grids) == 3 and not app_figures(app)  # A, B, their difference (the tab open first)
    assert grids[1]["colLabels"][2] == "dog"
    diff = grids[2]
    assert diff["scale"]["kind"] == "diverging" and diff["scale"]["lo"] < 0 < diff["scale"]["hi"]
    assert diff["colLabels"][2] == "cat/dog" and diff["colLabels"][3] == "sat"
    app.session_state["compare_tab"] = "Head ranking"
    app.run()
    assert len(app_tables(app)) == 2  # the head ranking of both (texts of other lengths: tests/test_compare_page.py)


def test_compare_two_models(tiny_folders):
    app = on_page("pages/compare.py", compare_mode="models", compare_model="A local folder…")
    assert not app.exception  # a custom choice is not offered as a second model: falls back to the list
    app = on_page("pages/compare.py", compare_mode="models")
    assert any("Second model" == s.label for s in app.selectbox)


def _heading(app) -> str:
    return app.markdown[0].value.removeprefix("#### ").split(" \u00b7 ")[0]


def test_presentation_mode_walks_heads_and_layers():
    app = on_page("pages/present.py")
    grid = app_grids(app)[-1]
    assert _heading(app) == "L2H8" and "the best, L2H8" in grid["aside"]  # the answer's head, the answer beside it
    assert "player" not in app.query_params  # the page's own default: left out of the link
    app.session_state["present_layer"] = app.session_state["present_head"] = 0
    app.run()
    assert _heading(app) == "L0H0"
    app.button(key="present_next").click().run()
    assert _heading(app) == "L0H1"
    app.button(key="present_prev").click().run()
    app.button(key="present_prev").click().run()
    assert _heading(app) == "L5H11"  # wraps around
    grid = app_grids(app)[-1]
    assert grid["titleSize"] >= 24 and grid["tickSize"] >= 18 and grid["fill"]  # large type, filling the screen
    app.button(key="present_one_layer").click().run()
    assert _heading(app) == "Layer 5" and heads_drawn(app) == 12  # the picker is drawn only when opened
    assert app_grids(app)[-1]["sharedAxes"] and app_grids(app)[-1]["clickable"] == "panel"
    app.button(key="present_next").click().run()
    assert _heading(app) == "Layer 0"
    app.session_state["present_figure"] = {"head": {"layer": 0, "head": 7}}  # a click on a head of the layer
    app.run()
    assert _heading(app) == "L0H7"
    app.session_state["present_jump"] = {"head": {"layer": 3, "head": 1}}  # a click in the head picker
    app.run()
    assert _heading(app) == "L3H1" and dict(app.query_params)["player"] == "3"


def test_tour_links_are_valid_shared_links():
    from components.text import TOUR

    for target in re.findall(r"\]\(([^)]*)\)", TOUR):
        page, _, query = target.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&"))
        from urllib.parse import unquote_plus

        app = linked_app({k: unquote_plus(v) for k, v in params.items()}, f"pages/{page or 'heads'}.py")
        assert not app.warning, (target, [w.value for w in app.warning])
