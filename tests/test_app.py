"""The app under Streamlit's own test runner (AppTest): every page runs, the right figures appear."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

TIMEOUT = 120


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _count(at: AppTest, trace_type: str) -> int:
    return sum(1 for fig in _figures(at) for t in fig["data"] if t["type"] == trace_type)


def run_app(script: str = "../app.py", **state) -> AppTest:
    """A fresh run of the app with the given widget state, as a user who set it would see.

    Each state gets its own AppTest: with st.navigation and a pages/ folder, AppTest's
    reruns execute the page file alone (not app.py), which the real server never does.
    """
    at = AppTest.from_file(script, default_timeout=TIMEOUT)  # path relative to this file
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_home_page_shows_twelve_heads_of_layer_zero():
    app = run_app()
    assert _count(app, "heatmap") == 12
    fig = _figures(app)[0]
    assert fig["layout"]["annotations"][0]["text"] == "<b>L0H0</b>"
    assert fig["data"][0]["x"][:3] == ["[CLS]", "the\u00b71", "black"]
    assert any("numbered from 0" in m.value for m in app.markdown)
    assert [e.label for e in app.expander] == ["What is an attention head, and how do I read these heatmaps?"]
    assert [t.key for t in app.sidebar.toggle] == ["whole_words", "hide_special"]
    assert app.sidebar.text_area(key="text").value == "The black cat sat on the mat."
    assert not app.warning


def test_layer_picker_changes_the_layer():
    app = run_app()
    app.select_slider(key="layer").set_value(4).run()
    assert _figures(app)[0]["layout"]["annotations"][0]["text"] == "<b>L4H0</b>"


def test_all_layers_switch_shows_72():
    app = run_app(all_layers=True)
    assert _count(app, "heatmap") == 72
    assert _count(app, "scatter") == 72  # click targets
    assert any("Click a head" in c.value for c in app.caption)


def test_new_sentence_pieces_words_and_no_specials():
    text = "Tokenization is unbelievably straightforward."
    assert _figures(run_app(text=text))[0]["data"][0]["x"][1:3] == ["token", "##ization"]
    assert _figures(run_app(text=text, whole_words=True))[0]["data"][0]["x"] == [
        "[CLS]", "Tokenization", "is", "unbelievably", "straightforward", ".", "[SEP]"
    ]
    assert _figures(run_app(text=text, whole_words=True, hide_special=True))[0]["data"][0]["x"] == [
        "Tokenization", "is", "unbelievably", "straightforward", "."
    ]


def test_empty_text_gets_a_message_not_a_crash():
    app = run_app(text="   ")
    assert _count(app, "heatmap") == 0
    assert any("empty" in i.value for i in app.info)


def test_long_text_warns_with_dropped_count():
    app = run_app(text=" ".join(["cat"] * 600))
    assert any("90 tokens were dropped" in w.value for w in app.warning)
    assert _count(app, "image") == 12  # 512 tokens: heads drawn as images


def test_heads_page_runs_on_its_own():
    assert _count(run_app("../pages/heads.py"), "heatmap") == 12
