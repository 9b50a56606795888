"""Guess the head (issue 29): the quiz a student answers, and the class a teacher starts and watches live.

The class store is headscope/classroom.py (SQLite in the cache folder, or PostgreSQL by HEADSCOPE_CLASS_DB), one
per process. A student's session is anonymous: a random id kept in the session state (the store keeps only its
hash). Before the reveal the heatmaps carry no answer (no outlines, badges or answer line); after it, the answer
(components/answer_view.py) and the class's guesses as a layer x head grid coloured by count, refreshing by itself.
"""

from __future__ import annotations

import math
import secrets
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from components import answer_view, cached, faults, heatmaps, links, state
from components.state import Settings
from components.text import literal
from headscope import canvas, classroom
from headscope.answer import DEFAULT_LINKS
from headscope.classroom import ClassError, ClassInfo, Guess
from headscope.models import BUNDLED_ID
from headscope.panels import head_name, parse_head_name
from headscope.syntax import RELATION_NAMES, RELATIONS, relation_label
from headscope.wording import plural

RELATION = state.RELATION
"""The relation to guess: the link's `relation` (the Syntax heads page's key too)."""
SESSION = "quiz_session"
"""The session's anonymous id (random; the store keeps its hash only)."""
PICK = "quiz_pick"
"""The head picked and not yet committed ("L2H8")."""
LAYER, ANSWER_LAYER = "quiz_layer", "quiz_answer_layer"
"""The layer the student looks at, before and after the reveal."""
GRID = "quiz_grid"
"""The picker's grid (its component state: the last head clicked)."""
MESSAGE = "quiz_message"
"""A refusal (a flood, an expired class) shown at the top of the next run."""
WROTE = "quiz_wrote"
"""The (code, relation) this session has written: only then is its guess read back from the store."""
CODE_BOX = "quiz_code_box"
PICK_ACTION = "Click, or press Enter, to pick it as your guess."
"""What a click on a head does, for its aria-label (the renderer's pickAction)."""
STUDENT_EVERY, TEACHER_EVERY = 5, 3
"""Seconds between refreshes of the tally: a student's after the reveal, the teacher's in Presentation."""


@st.cache_resource(show_spinner=False)
def _store(url: str) -> classroom.ClassStore:
    """One class store per process and URL (a PostgreSQL store keeps one connection)."""
    return classroom.open_store(url)


def store() -> classroom.ClassStore:
    """The class store this server uses (classroom.store_url: $HEADSCOPE_CLASS_DB, else SQLite in the cache folder)."""
    return _store(classroom.store_url())


def session_id() -> str:
    """This session's anonymous id, made on first use."""
    return st.session_state.setdefault(SESSION, secrets.token_hex(16))


def _relation_words(relation: str) -> str:
    return f"{RELATION_NAMES[relation]} ({relation_label(relation)})"


# ---- the student ------------------------------------------------------------------------------------------


def _typed_code() -> None:
    st.session_state[state.QUIZ_CLASS] = (st.session_state.get(CODE_BOX) or "").strip()[:40]


def refusals() -> None:
    """What the store refused since the last run (a guess with no pick, a flood), said once."""
    for message in st.session_state.pop(MESSAGE, []):
        st.warning(literal(message), icon=":material/block:")


def quiz_class() -> tuple[ClassInfo, str]:
    """The class and relation the link (or the code typed) names; else a plain message and the code box, and the
    run stops there."""
    refusals()
    code = st.session_state.get(state.QUIZ_CLASS)
    relation = st.session_state.get(RELATION) or DEFAULT_LINKS
    if code:
        try:
            classroom.check_relation(relation)
        except ClassError as exc:
            st.warning(literal(f"{exc} Ask your teacher for the class's link."), icon=":material/help:")
            st.stop()
        try:
            return store().info(code), relation
        except ClassError as exc:
            st.warning(literal(str(exc)), icon=":material/help:")
    else:
        st.info("Open the link your teacher shows, or type the class code.", icon=":material/groups:")
    st.text_input("Class code", key=CODE_BOX, on_change=_typed_code, placeholder="K7M2QX")
    st.stop()


def check_model(info: ClassInfo, s: Settings) -> None:
    """Stop with a plain message when this session shows another model than the class guesses."""
    if s.model != info.model:
        st.warning(
            literal(
                f"Class {info.code} guesses the heads of {info.model}, and this page shows {s.model}: open the "
                "class's link again, or pick that model in the sidebar."
            )
        )
        st.stop()


def own_guess(code: str, relation: str) -> Guess:
    """This session's guess for the relation (nothing before it wrote one; then read back from the store)."""
    if (code, relation) not in st.session_state.get(WROTE, set()):
        return Guess(relation, None, None, False)
    try:
        return store().guess_of(code, session_id(), relation)
    except ClassError as exc:
        st.warning(literal(str(exc)), icon=":material/help:")
        st.stop()


def _take_click(layers: int, heads: int) -> None:
    """A head clicked since the last look becomes the pick."""
    clicked = heatmaps.new_click(GRID)
    if clicked is not None and 0 <= clicked[0] < layers and 0 <= clicked[1] < heads:
        st.session_state[PICK] = head_name(*clicked)


def _write(action: str, code: str, relation: str, layers: int, heads: int) -> None:
    """Commit the pick ("guess") or see the answer ("reveal"); a refusal is kept for the next run to show."""
    try:
        if action == "guess":
            _take_click(layers, heads)  # a click sent with the button (a script, not a person, can do both at once)
            pick = parse_head_name(st.session_state.get(PICK) or "")
            if pick is None:
                raise ClassError("Pick a head first: click one of the heatmaps.")
            store().guess(code, session_id(), relation, *pick)
        else:
            store().reveal(code, session_id(), relation)
        st.session_state.setdefault(WROTE, set()).add((code, relation))
    except ClassError as exc:
        st.session_state[MESSAGE] = [str(exc)]


@st.fragment
def ask(s: Settings, info: ClassInfo, relation: str) -> None:
    """The heatmaps without any answer, one layer at a time: a click picks a head, a button commits it (again, to
    change it), and once one is in, a button shows the answer.

    A fragment: a pick, a commit and the layer slider rerun this part alone (not app.py, the sidebar and the
    page), which is most of a class's runs; "Show the answer" reruns the whole page, which then draws the reveal.
    """
    guess = own_guess(info.code, relation)
    if guess.revealed:  # the answer was asked for: the page draws it
        st.rerun(scope="app")
    refusals()
    st.caption(
        f"Each square is one head reading \u201c{literal(s.text[:300])}\u201d: row = the word that attends, column = "
        "the word it attends to, brighter = more attention. Click the head you think does it (or Tab to it and press "
        "Enter), then commit your guess."
    )
    layers, heads = info.layers, info.heads
    layer = st.select_slider("Layer", options=list(range(layers)), key=LAYER)
    with faults.guard("Cannot draw the heatmaps"):
        data = dict(cached.layer_canvas(s, layer), clickable="panel", key=GRID, pickAction=PICK_ACTION)
    _take_click(layers, heads)
    pick = parse_head_name(st.session_state.get(PICK) or "")
    heatmaps.show(data, key=GRID, name=f"quiz-layer{layer}", selected=pick if pick and pick[0] == layer else None)
    committed = None if guess.layer is None else (guess.layer, guess.head)
    if pick is None:
        said = "No head picked yet: click one."
    else:
        said = f"Your pick: **{head_name(*pick)}** (layer {pick[0]}, head {pick[1]})."
    text, button = st.columns([3, 2], vertical_alignment="center")
    text.markdown(said)
    button.button(
        "Commit my guess" if committed is None else "Change my guess",
        icon=":material/how_to_vote:",
        type="primary",
        disabled=pick is None or pick == committed,
        on_click=_write,
        args=("guess", info.code, relation, layers, heads),
        key="quiz_commit",
        width="stretch",
    )
    if committed is not None:
        st.success(
            f"Your guess, **{head_name(*committed)}**, is in. You may change it until you see the answer: pick "
            "another head and commit again.",
            icon=":material/check:",
        )
        st.button(
            "Show the answer",
            icon=":material/visibility:",
            on_click=_write,
            args=("reveal", info.code, relation, layers, heads),
            key="quiz_reveal",
        )


def reveal(s: Settings, info: ClassInfo, relation: str, guess: Guess) -> None:
    """The answer after the reveal: the guess judged, the verdict with its numbers and this sentence's evidence,
    the heads with their outlines and badges, and the class's guesses so far."""
    with faults.model_run():
        att = cached.attention_view(s)
    badges, outlines, found = answer_view.marks(s, att, relation)
    follows = found.verdict.following_heads() if found is not None and found.verdict is not None else ()
    focus = found.focus if found is not None else None
    if guess.layer is None:
        st.info("You saw the answer without a guess.")
    else:
        right = (guess.layer, guess.head) in follows
        words = classroom.guess_words(relation, (guess.layer, guess.head), follows, focus)
        (st.success if right else st.info)(words, icon=":material/check_circle:" if right else ":material/info:")
    answer_view.answer_line(found)
    st.markdown("#### The class's guesses so far")
    student_tally(info.code, relation, tuple(follows))
    st.markdown("#### The heads, with the answer")
    st.session_state.setdefault(ANSWER_LAYER, focus[0] if focus else guess.layer or 0)
    layer = st.select_slider("Layer", options=list(range(att.num_layers)), key=ANSWER_LAYER)
    with faults.guard("Cannot draw the heatmaps"):
        data = canvas.marked(cached.layer_canvas(s, layer), badges, outlines)
    heatmaps.show(data, key="quiz_answer_grid", name=f"answer-layer{layer}")


# ---- the tally -------------------------------------------------------------------------------------------


def tally_grid(info: ClassInfo, relation: str, t: classroom.RelationTally | None, outlined=()) -> dict:
    """A relation's guesses as a layer x head grid: each head coloured by its count and showing it (heads nobody
    guessed left blank); `outlined` heads (the answer) outlined."""
    counts = np.full((info.layers, info.heads), np.nan, dtype=np.float32)
    for layer, head, n in t.counts if t is not None else ():
        if layer < info.layers and head < info.heads:
            counts[layer, head] = n
    top = float(np.nanmax(counts)) if t is not None and t.counts else 1.0
    top = 4.0 * math.ceil(top / 4)  # whole numbers at the colour bar's ticks (quarters of its range)
    shown = np.nan_to_num(counts).astype(int)
    text = [[str(n) if n else "" for n in row] for row in shown]
    hover = [
        [f"{head_name(layer, head)}: {plural(int(n), 'guess', 'guesses')}" for head, n in enumerate(row)]
        for layer, row in enumerate(shown)
    ]
    marks = np.zeros(counts.shape, dtype=bool)
    for layer, head in outlined:
        marks[layer, head] = True
    return canvas.heads_grid(
        counts,
        f"Guesses for {relation}",
        canvas.Scale("guesses", 0.0, top),
        text=text,
        hover=hover,
        marks=marks if outlined else None,
        clickable=False,
    )


def _tally(code: str, relation: str, outlined: tuple = (), key: str = "quiz_tally") -> None:
    """The class's guesses for the relation: the grid, then the count and the most guessed heads in words."""
    try:
        t = store().tally(code)
    except ClassError as exc:
        st.warning(literal(str(exc)), icon=":material/help:")
        return
    rt = next((r for r in t.relations if r.relation == relation), None)
    total = rt.total if rt is not None else 0
    heatmaps.show(tally_grid(t.info, relation, rt, outlined), key=key, name=f"guesses-{code}-{relation}")
    most = ", ".join(f"{head_name(layer, head)} ({n})" for layer, head, n in (rt.counts if rt else ())[:5])
    said = f"{plural(total, 'guess', 'guesses')} so far" + (f"; most guessed: {most}" if most else "") + "."
    if outlined:
        said += f" Outlined: the heads that follow {relation} over the corpus."
    st.caption(said)


@st.fragment(run_every=STUDENT_EVERY)
def student_tally(code: str, relation: str, outlined: tuple = ()) -> None:
    """The class's guesses after this student's reveal, refreshing by itself."""
    _tally(code, relation, outlined)


@st.fragment(run_every=TEACHER_EVERY)
def teacher_tally(code: str, relation: str) -> None:
    """The class's guesses in Presentation, refreshing by itself (no answer outlined: the class is still guessing)."""
    _tally(code, relation, key="quiz_teacher_tally")


# ---- the teacher ------------------------------------------------------------------------------------------


def _start(model: str, layers: int, heads: int) -> None:
    """Start a class on the model's heads for the relation picked; a refusal is kept for the next run to show."""
    try:
        info = store().start(model, layers, heads)
    except ClassError as exc:
        st.session_state[MESSAGE] = [str(exc)]
        return
    st.session_state[state.QUIZ_CLASS] = info.code
    st.session_state[RELATION] = st.session_state.get("quiz_start_relation") or DEFAULT_LINKS


def _teacher_relation() -> str:
    """The relation the teacher's class guesses: the link's, else the one Presentation outlines, else nsubj."""
    for relation in (st.session_state.get(RELATION), answer_view.chosen_relation()):
        if relation in RELATIONS:
            return relation
    return DEFAULT_LINKS


def student_link(code: str, relation: str, s: Settings) -> tuple[str, bool]:
    """The quiz link students open (the sentence and a model other than the bundled one ride along), and whether
    the sentence had to stay out (too long for a link)."""
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    link = classroom.quiz_link(code, relation, None if s.text == state.DEFAULT_TEXT else s.text)
    if s.model != BUNDLED_ID:
        link += "&" + urlencode({"model": s.model})
    left_out = len(link) > links.MAX_QUERY
    if left_out:
        link = classroom.quiz_link(code, relation)
    return f"{base}/{link}", left_out


def start_control(s: Settings, layers: int, heads: int) -> None:
    """Presentation's class control, in a popover (drawn only while open): the relation to guess and a button."""
    refusals()
    code = st.session_state.get(state.QUIZ_CLASS)
    box = st.popover("Start a class", icon=":material/groups:", key="quiz_class_open", on_change="rerun")
    with box:
        st.caption("Guess the head: your students pick the head they think follows a relation, then see the answer.")
        if not box.open:
            return
        st.session_state.setdefault("quiz_start_relation", _teacher_relation())
        st.selectbox("Relation to guess", RELATIONS, key="quiz_start_relation", format_func=_relation_words)
        st.button(
            "Start a new class" if code else "Start a class",
            type="primary",
            on_click=_start,
            args=(s.model, layers, heads),
            key="quiz_start",
        )
        if code:
            st.caption(f"Class {literal(str(code)[:40])} is running: its code, link and guesses are under the figure.")


TEACHER_REVEAL = "quiz_teacher_reveal"
"""The teacher's "Show the answer on the figure" toggle, under the running class's tally."""


def answer_held_back() -> bool:
    """While a class guesses, the projected figure keeps the answer back (no badges, outlines or answer, and it
    opens on L0H0, not on the answer's head) until the teacher shows it."""
    return bool(st.session_state.get(state.QUIZ_CLASS)) and not st.session_state.get(TEACHER_REVEAL)


def class_tally(s: Settings) -> None:
    """The running class (this session started it, or its link names it): its code, the students' link, and its
    guesses, live."""
    code = st.session_state.get(state.QUIZ_CLASS)
    if not code:
        return
    code, relation = str(code)[:40], _teacher_relation()
    st.markdown(f"#### Class {literal(code)} \u00b7 {classroom.question(relation)}")
    try:
        link, left_out = student_link(code, relation, s)
    except ClassError as exc:  # a link's code that is no code
        st.warning(literal(str(exc)), icon=":material/help:")
        return
    st.caption(f"Students open this link, or the page Guess the head and type the code {literal(code)}:")
    st.code(link, language=None, wrap_lines=True)
    if left_out:
        st.caption("The sentence is too long to travel in the link: students see the default sentence.")
    teacher_tally(code, relation)
    st.toggle(
        "Show the answer on the figure",
        key=TEACHER_REVEAL,
        help="Off while the class guesses: the figure above shows no badges, outlines or answer.",
    )
