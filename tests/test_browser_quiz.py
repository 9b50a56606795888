"""Guess the head (issue 29) in Chromium: two students on two replicas behind nginx (deploy/start.sh) share one
class store and each sees the other's guess after the reveal; the teacher's Presentation shows a guess without a
click. The class store is a real SQLite file in a temporary folder (HEADSCOPE_CLASS_DB), shared by the replicas.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from headscope import classroom
from headscope.models import BUNDLED_ID
from tests import support
from tests.browser_fixtures import watched_page
from tests.test_deploy import last_upstream, with_nginx

pytestmark = pytest.mark.browser

WAIT_MS = 120_000


@pytest.fixture(scope="module")
def class_db(tmp_path_factory):
    """HEADSCOPE_CLASS_DB for the servers this module starts: a SQLite file of its own."""
    url = f"sqlite://{tmp_path_factory.mktemp('classes') / 'classes.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(classroom.DB_ENV, url)
        yield url


def _drawn(page, panels: int) -> None:
    page.wait_for_selector(f".hs-grid[data-drawn='{panels}']", timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)


def _student_on(browser, url: str, query: str, upstream: str | None = None, tries: int = 30):
    """A new browser context on the quiz link, landed on `upstream` (a replica behind nginx) if given: (context, page)."""
    for _ in range(tries):
        # bypass_csp: support's waits evaluate strings, which nginx's CSP refuses (tests/test_security.py tests it)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, bypass_csp=True)
        page = context.new_page()
        response = page.goto(f"{url}/quiz?{query}")
        if upstream is None or last_upstream(response.headers["x-headscope-upstream"]) == upstream:
            _drawn(page, 12)
            return context, page
        context.close()
    raise AssertionError(f"no new visitor in {tries} landed on {upstream}")


def _guess(page, head: int, keys: bool = False) -> None:
    """Pick head `head` of layer 0 (a click, or Tab's focus and Enter) and commit it."""
    canvas = page.locator(f"canvas.hs-cells[data-layer='0'][data-head='{head}']")
    assert "pick it as your guess" in canvas.get_attribute("aria-label")
    if keys:
        canvas.focus()
        page.keyboard.press("Enter")
    else:
        canvas.click()
    page.get_by_text(f"Your pick: L0H{head}").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Commit my guess").click()
    page.get_by_role("button", name="Show the answer").wait_for(timeout=WAIT_MS)
    support.wait_idle(page, WAIT_MS)


def _tally_caption(page, ready) -> str:
    """The tally's words under its grid ("2 guesses so far; most guessed: ..."), once `ready(text)`."""
    found = support.wait_texts(
        page,
        "[data-testid=stCaptionContainer]",
        lambda texts: any("so far" in t and ready(t) for t in texts),
        "the class's guesses",
        WAIT_MS,
    )
    return next(t for t in found if "so far" in t and ready(t))


def _tally_cells(page) -> list[str]:
    """The counts written in the tally grid's cells (the grid titled Guesses for ...)."""
    grid = page.locator(".hs-grid", has_text="Guesses for nsubj")
    return grid.locator(".hs-celltext").evaluate_all("els => els.map(e => e.textContent).filter(t => t)")


@pytest.mark.browser
@with_nginx
def test_two_students_on_two_replicas_see_each_others_guess_after_the_reveal(class_db, browser, tmp_path):
    from bench.replicas import stack

    info = classroom.open_store(class_db).start(BUNDLED_ID, 6, 12)
    query = urlencode({"class": info.code, "relation": "nsubj"})
    with stack(replicas=2, run_dir=tmp_path / "run") as running:
        ctx_a, a = _student_on(browser, running.url, query, running.upstream(0))
        ctx_b, b = _student_on(browser, running.url, query, running.upstream(1))
        for page in (a, b):  # no answer before the reveal: no badge, no outline, no verdict
            assert page.locator(".hs-grid .hs-badge").count() == 0
            assert "arc" not in " ".join(
                page.locator("canvas.hs-cells").evaluate_all("els => els.map(e => e.ariaLabel)")
            )
            assert page.get_by_text("Which head links the subject to its verb?").is_visible()
        _guess(a, 3)
        _guess(b, 5, keys=True)
        a.get_by_role("button", name="Show the answer").click()
        said = _tally_caption(a, lambda t: t.startswith("2 guesses"))
        assert "L0H3 (1)" in said and "L0H5 (1)" in said  # A's guess, and B's from the other replica
        assert sorted(_tally_cells(a)) == ["1", "1"]
        assert a.get_by_text("Not this time: your guess, L0H3").is_visible()
        b.get_by_role("button", name="Show the answer").click()
        said = _tally_caption(b, lambda t: t.startswith("2 guesses"))
        assert "L0H3 (1)" in said and "L0H5 (1)" in said
        a.screenshot(path=str(tmp_path / "student-a-after-the-reveal.png"))
        for context in (ctx_a, ctx_b):
            context.close()


@pytest.fixture(scope="module")
def quiz_url(class_db, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit-quiz") / "streamlit.log"
    with support.streamlit_server(log_path=log) as url:
        yield url


def test_the_teachers_presentation_shows_a_guess_without_a_click(quiz_url, browser, tmp_path):
    with watched_page(browser, 1024, 768) as teacher:
        teacher.goto(f"{quiz_url}/present")
        _drawn(teacher, 1)
        teacher.get_by_role("button", name="Start a class").click()
        teacher.locator(".st-key-quiz_start button").click()
        heading = teacher.get_by_role("heading", name=re.compile(r"^Class [2-9A-Z]{6} ")).inner_text()
        code = heading.split()[1]
        assert "Which head links the subject to its verb?" in heading
        _tally_caption(teacher, lambda t: t.startswith("0 guesses"))
        link = teacher.locator("[data-testid=stCode]").inner_text().strip()
        assert link == f"{quiz_url}/quiz?class={code}&relation=nsubj"

        context, student = _student_on(browser, quiz_url, link.split("?", 1)[1])
        _guess(student, 7)
        context.close()
        # the teacher touches nothing: the tally refreshes by itself
        said = _tally_caption(teacher, lambda t: t.startswith("1 guess "))
        assert said == "1 guess so far; most guessed: L0H7 (1)."
        assert _tally_cells(teacher) == ["1"]
        teacher.screenshot(path=str(tmp_path / "teacher-tally.png"))
