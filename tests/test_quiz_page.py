"""Guess the head (issue 29) under AppTest: the quiz page and Presentation's class, against the real model and a
real class store (SQLite in a temporary folder; PostgreSQL once, from Debian's package).

A student sees the heads with no answer, picks one, commits (and may change it), then sees the verdict, this
sentence's evidence and the class's guesses; a bad code, an unknown relation, an expired class and a flood each get
a plain message. The teacher starts a class in Presentation and sees its guesses.
"""

from __future__ import annotations

import time

import pytest

from headscope import classroom
from headscope.classroom import LIFETIME, ClassError
from headscope.models import BUNDLED_ID
from tests import support
from tests.support import app_grids, texts

QUIZ = "pages/quiz.py"


@pytest.fixture
def store(monkeypatch, tmp_path):
    """A fresh SQLite class store the app uses (HEADSCOPE_CLASS_DB), and the test's own handle on it."""
    url = f"sqlite://{tmp_path / 'classes.sqlite3'}"
    monkeypatch.setenv(classroom.DB_ENV, url)
    return classroom.open_store(url)


def _opened(page: str, params: dict[str, str]):
    """A page opened from a link: its first run is that page's (the link's notices show on it)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file("../app.py", default_timeout=support.APPTEST_TIMEOUT)
    for name, value in params.items():
        app.query_params[name] = value
    app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def _quiz(code: str, relation: str = "nsubj", **params: str):
    """The quiz page opened from the class's link."""
    return _opened(QUIZ, {"class": code, "relation": relation, **params})


def _pick(app, layer: int, head: int):
    """A click on a head of the picker's grid (what the browser sets), then that layer shown."""
    app.session_state["quiz_grid"] = {"head": {"layer": layer, "head": head}}
    app.select_slider(key="quiz_layer").set_value(layer).run()
    assert not app.exception, app.exception
    return app


def _click(app, key: str):
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def _grid_text(grid: dict) -> dict[str, str]:
    """A layer x head grid's cell texts by head name (the tally's counts), blank cells left out."""
    heads = grid["cols"]
    return {f"L{i // heads}H{i % heads}": t for i, t in enumerate(grid["panels"][0]["text"]) if t}


def test_a_student_sees_the_heads_and_a_question_and_no_answer(store):
    info = store.start(BUNDLED_ID, 6, 12)
    app = _quiz(info.code)
    assert "Which head links the subject to its verb?" in [m.value.removeprefix("### ") for m in app.markdown]
    (grid,) = app_grids(app)
    assert len(grid["panels"]) == 12 and grid["clickable"] == "panel" and "pick it" in grid["pickAction"]
    assert all(p["badge"] == "" and p["outlines"] == [] for p in grid["panels"])  # no answer in the heads
    assert not app.info and not app.success and not app.main.expander  # no verdict, no evidence, no legend
    assert app.button(key="quiz_commit").disabled  # nothing picked yet
    assert not [b for b in app.button if b.key == "quiz_reveal"]  # the answer only after a guess


def test_a_student_picks_commits_changes_and_then_sees_the_answer_and_the_class(store):
    info = store.start(BUNDLED_ID, 6, 12)
    for n, (layer, head) in enumerate([(2, 8), (0, 3)]):  # two classmates
        store.guess(info.code, f"classmate-{n}", "nsubj", layer, head)
    app = _quiz(info.code)
    app = _click(_pick(app, 0, 3), "quiz_commit")
    assert store.tally(info.code).relations[0].counts == ((0, 3, 2), (2, 8, 1))  # counted at once
    assert "L0H3" in app.success[0].value and app.button(key="quiz_commit").label == "Change my guess"
    assert not app.info  # still no answer
    app = _click(_pick(app, 2, 8), "quiz_commit")  # a change of mind, before the reveal
    assert store.tally(info.code).relations[0].counts == ((2, 8, 2), (0, 3, 1))
    assert "L2H8" in app.success[0].value

    app = _click(app, "quiz_reveal")
    said = texts(app.success) + texts(app.info)
    assert said[0] == "Right: your guess, L2H8, follows nsubj over the corpus (6 other heads do too)."
    assert any(
        "7 heads follow it; the best, L2H8" in t and "In this sentence L2H8" in t for t in said
    )  # verdict, evidence
    assert [e.label for e in app.main.expander] == ["How is this decided? What do the outlines and badges mean?"]
    tally, heads = app_grids(app)
    assert _grid_text(tally) == {"L0H3": "1", "L2H8": "2"}  # this student's guess and the classmates'
    assert tally["panels"][0]["name"] == "Guesses for nsubj" and not tally["clickable"]
    assert [2, 8, 2, 8] in tally["panels"][0]["outlines"]  # the heads that follow it, outlined
    assert any("3 guesses so far; most guessed: L2H8 (2), L0H3 (1)" in c.value for c in app.caption)
    # the heads with the answer, on the answer's layer: badges and the sentence's arcs outlined
    assert heads["panels"][8]["name"] == "L2H8" and heads["panels"][8]["badge"] == "follows nsubj"
    assert heads["panels"][8]["outlines"]
    with pytest.raises(ClassError, match="already revealed"):  # the guess is frozen
        store.guess(info.code, app.session_state["quiz_session"], "nsubj", 0, 0)


def test_a_wrong_guess_names_the_heads_that_follow(store):
    info = store.start(BUNDLED_ID, 6, 12)
    app = _click(_click(_pick(_quiz(info.code), 0, 3), "quiz_commit"), "quiz_reveal")
    assert texts(app.info)[0].startswith("Not this time: your guess, L0H3, does not follow nsubj; L2H8, ")


def test_another_relation_asks_its_own_question(store):
    info = store.start(BUNDLED_ID, 6, 12)
    app = _quiz(info.code, "amod", text="The old dog sleeps.")
    assert "Which head links the adjective to its noun?" in [m.value.removeprefix("### ") for m in app.markdown]
    app = _click(_click(_pick(app, 1, 1), "quiz_commit"), "quiz_reveal")
    assert [r.relation for r in store.tally(info.code).relations] == ["amod"]
    assert any("adjective -> noun (amod)" in t for t in texts(app.info) + texts(app.success))


def _plain_message(app, *words: str) -> str:
    """The one message the page shows instead of the quiz (no exception, no heads)."""
    assert not app.exception and not app_grids(app)
    shown = " ".join(texts(app.warning) + texts(app.info))
    for word in words:
        assert word in shown, shown
    return shown


@pytest.mark.parametrize(
    "code, words",
    [
        ("NOPE", ["'NOPE' is not a class code", "6 letters and digits"]),
        ("ZZZZZZ", ["There is no class ZZZZZZ"]),
        ("x" * 41, ["Ignored class", "too long for a class code", "type the class code"]),
    ],
    ids=["bad", "unknown", "too-long"],
)
def test_a_bad_or_unknown_code_gets_a_plain_message_and_a_box_for_the_code(store, code, words):
    app = _quiz(code)
    _plain_message(app, *words)
    info = store.start(BUNDLED_ID, 6, 12)
    app.text_input(key="quiz_code_box").input(f" {info.code.lower()} ").run()  # typed as read off the board
    assert not app.exception and len(app_grids(app)[0]["panels"]) == 12


def test_an_expired_class_gets_a_plain_message(store, monkeypatch):
    old = classroom.open_store(store.path.as_posix(), now=lambda: time.time() - LIFETIME - 60)
    info = old.start(BUNDLED_ID, 6, 12)
    _plain_message(_quiz(info.code), f"There is no class {info.code}", "expired after 24 hours")


@pytest.mark.parametrize("relation", ["all", "subject"])
def test_a_relation_one_cannot_guess_gets_a_plain_message(store, relation):
    info = store.start(BUNDLED_ID, 6, 12)
    app = _quiz(info.code, relation)
    if relation == "all":  # a relation of the app, but not one to guess
        _plain_message(app, "'all' is not a relation to guess", "nsubj, amod")
    else:  # not a relation at all: the link's notice says so, and the quiz asks the default question
        assert any("Ignored relation='subject'" in w for w in texts(app.warning))
        assert "Which head links the subject to its verb?" in [m.value.removeprefix("### ") for m in app.markdown]


def test_a_flood_of_guesses_is_refused_with_a_plain_message(store):
    info = store.start(BUNDLED_ID, 6, 12)
    app = _pick(_quiz(info.code), 0, 1)
    app.session_state["quiz_session"] = session = "a-fast-script"  # the session's id, known to the test
    for _ in range(classroom.MAX_WRITES):  # this session's writes, as fast as a script can
        store.guess(info.code, session, "nsubj", 0, 2)
    app = _click(app, "quiz_commit")
    assert any("Too many guesses too fast" in w for w in texts(app.warning))
    assert store.guess_of(info.code, session, "nsubj").head == 2  # not L0H1
    assert app.button(key="quiz_commit").label == "Commit my guess" and not app_grids(app)[0]["panels"][0]["badge"]


def test_the_quiz_without_a_class_asks_for_the_code(store):
    app = _opened(QUIZ, {})
    _plain_message(app, "Open the link your teacher shows")
    assert app.text_input(key="quiz_code_box")


def test_a_teacher_starts_a_class_in_presentation_and_sees_its_guesses(store):
    app = _opened("pages/present.py", {"text": "The old dog sleeps."})
    assert not [m for m in app.markdown if m.value.startswith("#### Class")]  # no class, no tally
    app.session_state["quiz_class_open"] = True  # the popover opened
    app.run()
    app.selectbox(key="quiz_start_relation").set_value("amod").run()
    app = _click(app, "quiz_start")
    code = app.session_state["quiz_class"]
    assert store.info(code).model == BUNDLED_ID
    assert f"#### Class {code} \u00b7 Which head links the adjective to its noun?" in [m.value for m in app.markdown]
    (link,) = [c.value for c in app.code]
    assert link.endswith(f"/quiz?class={code}&relation=amod&text=The+old+dog+sleeps.")
    assert app_grids(app)[-1]["panels"][0]["name"] == "Guesses for amod"
    assert any(c.value.startswith("0 guesses so far") for c in app.caption)
    store.guess(code, "a-student", "amod", 1, 1)
    app.run()  # what the fragment's next refresh draws
    assert _grid_text(app_grids(app)[-1]) == {"L1H1": "1"}
    assert app_grids(app)[-1]["panels"][0]["outlines"] == []  # the class is still guessing: no answer outlined
    figure = app_grids(app)[0]  # the projected figure, while the class guesses: nothing given away
    assert "aside" not in figure and all(p["badge"] == "" and p["outlines"] == [] for p in figure["panels"])
    app.toggle(key="quiz_teacher_reveal").set_value(True).run()  # the teacher shows the answer
    figure = app_grids(app)[0]
    assert "L2H8" in figure.get("aside", "") or any(p["badge"] or p["outlines"] for p in figure["panels"])


def test_a_presentation_link_naming_a_class_shows_its_tally(store):
    info = store.start(BUNDLED_ID, 6, 12)
    store.guess(info.code, "a-student", "nsubj", 2, 8)
    app = _opened("pages/present.py", {"class": info.code, "relation": "nsubj"})
    assert _grid_text(app_grids(app)[-1]) == {"L2H8": "1"}
    app = _opened("pages/present.py", {"class": "ZZZZZZ"})  # a code that is no class: a message
    assert any("There is no class ZZZZZZ" in w for w in texts(app.warning)) and not app.exception


def test_the_quiz_runs_on_postgresql(monkeypatch):
    if support.postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (make postgresql)")
    with support.postgres_server() as url:
        monkeypatch.setenv(classroom.DB_ENV, url)
        store = classroom.open_store(url)
        info = store.start(BUNDLED_ID, 6, 12)
        store.guess(info.code, "classmate", "nsubj", 2, 8)
        app = _click(_click(_pick(_quiz(info.code), 2, 8), "quiz_commit"), "quiz_reveal")
        assert texts(app.success)[0].startswith("Right: your guess, L2H8")
        assert _grid_text(app_grids(app)[0]) == {"L2H8": "2"}
        store.close()


def test_every_relation_has_a_question_and_a_guess_is_told_against_the_verdict():
    assert [classroom.question(r) for r in ("nsubj", "prep", "pobj")] == [
        "Which head links the subject to its verb?",
        "Which head links the preposition to its head?",
        "Which head links the object of a preposition to its preposition?",
    ]
    assert all(classroom.question(r).startswith("Which head links the ") for r in classroom.RELATIONS)
    with pytest.raises(ClassError, match="not a relation to guess"):
        classroom.question("all")
    follows = [(2, 8), (1, 4)]
    assert classroom.guess_words("nsubj", (1, 4), follows, (2, 8)) == (
        "Right: your guess, L1H4, follows nsubj over the corpus (1 other head does too)."
    )
    assert classroom.guess_words("nsubj", (0, 0), follows, (2, 8)) == (
        "Not this time: your guess, L0H0, does not follow nsubj; L2H8, L1H4 do."
    )
    assert classroom.guess_words("det", (3, 3), (), (3, 3)) == (
        "No head follows det over the corpus, so no guess is right; the best head is L3H3, your guess."
    )
    assert classroom.guess_words("det", (0, 1), (), (3, 3)).endswith("the best head is L3H3, yours was L0H1.")
