"""Guess the head's class store (issue 29), against real SQLite files and a real PostgreSQL server.

Every store test runs on both backends (`url` is parametrised); the PostgreSQL server is Debian's
(`make postgresql`), started in a temporary folder by `support.postgres_server`, with a fresh
database per test. The clock is injected: expiry is tested without waiting a day.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from headscope import atlas, classroom
from headscope.classroom import LIFETIME, ClassError
from headscope.panels import head_name
from tests import support

MODEL = "all-MiniLM-L6-v2"


class Clock:
    """A clock the test moves by hand (Unix seconds)."""

    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server for this module; its admin URL."""
    if support.postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (make postgresql)")
    with support.postgres_server() as admin:
        yield admin


def _admin(admin_url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """A fresh, empty class store's URL: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'classes.sqlite3'}"
        return
    admin = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(admin, f"CREATE DATABASE {name}")
    yield admin.rsplit("/", 1)[0] + "/" + name
    _admin(admin, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def stores(url, clock):
    """open(**limits): a store at `url` on the test's clock; all closed after the test."""
    opened = []

    def open_(**limits):
        store = classroom.open_store(url, now=clock, **limits)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        if isinstance(store, classroom.PostgresStore):
            store.close()


@pytest.fixture
def store(stores):
    return stores()


def table_rows(url: str) -> dict[str, int]:
    """How many rows each of the store's tables holds, read with the backend's own driver."""
    tables = ("headscope_classes", "headscope_sessions", "headscope_guesses")
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite://") :]) as db:
            return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    import psycopg

    with psycopg.connect(url) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def test_start_gives_short_unambiguous_codes(store, clock):
    codes = {store.start(MODEL, 6, 12).code for _ in range(40)}
    assert len(codes) == 40
    for code in codes:
        assert re.fullmatch("[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}", code), code
    code = sorted(codes)[0]
    info = store.info(f"  {code.lower()} ")  # as a student might type it
    assert (info.code, info.created, info.expires) == (code, clock.t, clock.t + 24 * 3600)
    assert (info.model, info.layers, info.heads) == (MODEL, 6, 12)


def test_a_guess_changes_until_the_reveal_and_not_after(store):
    code = store.start(MODEL, 6, 12).code
    assert store.guess_of(code, "anna", "nsubj") == classroom.Guess("nsubj", None, None, False)
    store.guess(code, "anna", "nsubj", 2, 8)
    store.guess(code, "anna", "nsubj", 1, 4)  # changed her mind: still one guess
    assert store.tally(code).relations == (classroom.RelationTally("nsubj", ((1, 4, 1),)),)
    assert store.reveal(code, "anna", "nsubj") == classroom.Guess("nsubj", 1, 4, True)
    with pytest.raises(ClassError, match="already revealed to you"):
        store.guess(code, "anna", "nsubj", 2, 8)
    assert store.guess_of(code, "anna", "nsubj") == classroom.Guess("nsubj", 1, 4, True)
    assert store.tally(code).relations[0].counts == ((1, 4, 1),)
    store.guess(code, "anna", "amod", 2, 8)  # another relation is still open
    store.guess(code, "anna", "amod", 3, 3)
    # a reveal before any guess closes the relation too (the answer is known), and counts no guess
    store.reveal(code, "ben", "det")
    with pytest.raises(ClassError, match="already revealed"):
        store.guess(code, "ben", "det", 2, 8)
    tally = store.tally(code)
    assert [r.relation for r in tally.relations] == ["nsubj", "amod"]  # det: no guess
    assert tally.relations[1].counts == ((3, 3, 1),)


def test_tally_counts_per_head_most_guessed_first(store):
    code = store.start(MODEL, 6, 12).code
    other = store.start(MODEL, 6, 12).code
    for i, (layer, head) in enumerate([(2, 8), (1, 4), (2, 8), (0, 0), (2, 8), (1, 4)]):
        store.guess(code, f"s{i}", "nsubj", layer, head)
    store.guess(code, "s0", "poss", 4, 9)
    store.guess(other, "s0", "nsubj", 5, 5)  # another class's guesses stay apart
    tally = store.tally(code)
    assert tally.info.code == code
    nsubj, poss = tally.relations
    assert nsubj == classroom.RelationTally("nsubj", ((2, 8, 3), (1, 4, 2), (0, 0, 1)))
    assert (nsubj.total, poss.total) == (6, 1)
    doc = classroom.tally_json(tally, {"nsubj": ((2, 8), (1, 4)), "amod": ((2, 8),)})
    assert doc == {
        "class": code,
        "relations": {
            "nsubj": {"guesses": {"L2H8": 3, "L1H4": 2, "L0H0": 1}, "total": 6, "follows": ["L2H8", "L1H4"]},
            "poss": {"guesses": {"L4H9": 1}, "total": 1, "follows": []},
        },
    }
    assert list(doc["relations"]["nsubj"]["guesses"]) == ["L2H8", "L1H4", "L0H0"]
    assert store.tally(store.start(MODEL, 6, 12).code).relations == ()


def test_a_class_expires_after_24_hours_and_is_purged(store, clock, url):
    code = store.start(MODEL, 6, 12).code
    store.guess(code, "anna", "nsubj", 2, 8)
    clock.t += LIFETIME - 1
    store.guess(code, "ben", "nsubj", 2, 8)
    assert store.tally(code).relations[0].total == 2
    clock.t += 1
    unknown = f"There is no class {code} (a code has 6 letters and digits; it may have expired after 24 hours)."
    for call in (
        lambda: store.tally(code),
        lambda: store.info(code),
        lambda: store.guess(code, "cleo", "nsubj", 2, 8),
        lambda: store.reveal(code, "anna", "nsubj"),
        lambda: store.guess_of(code, "anna", "nsubj"),
    ):
        with pytest.raises(ClassError) as caught:
            call()
        assert str(caught.value) == unknown
    assert table_rows(url) == {"headscope_classes": 1, "headscope_sessions": 2, "headscope_guesses": 2}
    fresh = store.start(MODEL, 6, 12).code  # a new class purges the expired ones, guesses and all
    assert table_rows(url) == {"headscope_classes": 1, "headscope_sessions": 0, "headscope_guesses": 0}
    assert store.info(fresh).code == fresh


def test_a_class_is_capped(stores):
    store = stores(max_sessions=3)
    code = store.start(MODEL, 6, 12).code
    for name in ("a", "b", "c"):
        store.guess(code, name, "nsubj", 2, 8)
    with pytest.raises(ClassError, match=f"Class {code} is full: 3 students have guessed already"):
        store.guess(code, "d", "nsubj", 2, 8)
    with pytest.raises(ClassError, match="is full"):
        store.reveal(code, "d", "nsubj")
    store.guess(code, "a", "amod", 1, 1)  # the class's own students go on
    store.guess(code, "c", "nsubj", 0, 0)
    assert store.tally(code).relations[0].counts == ((2, 8, 2), (0, 0, 1))
    other = store.start(MODEL, 6, 12).code  # the cap is per class
    store.guess(other, "d", "nsubj", 2, 8)
    with pytest.raises(ClassError, match="classes running"):
        stores(max_classes=2).start(MODEL, 6, 12)


def test_a_flood_from_one_session_is_refused(stores, clock):
    store = stores(max_writes=5, window=60)
    code = store.start(MODEL, 6, 12).code
    for head in range(4):
        store.guess(code, "flood", "nsubj", 0, head)
    store.reveal(code, "flood", "amod")  # a reveal is a write too: the fifth
    clock.t += 30
    with pytest.raises(ClassError) as caught:
        store.guess(code, "flood", "nsubj", 5, 5)
    assert str(caught.value) == "Too many guesses too fast from this session; wait 30 seconds and try again."
    assert store.guess_of(code, "flood", "nsubj").head == 3  # the refused guess changed nothing
    store.guess(code, "calm", "nsubj", 1, 1)  # other sessions are not held up
    clock.t += 30
    store.guess(code, "flood", "nsubj", 5, 5)  # a new minute
    assert store.guess_of(code, "flood", "nsubj").head == 5


@pytest.mark.parametrize(
    "code",
    ["", "abc", "ABC23O", "ABC231", "ABCDEFG", "ABC 234", "ÄBC234", "ABC２34", "x" * 5000],
    ids=lambda code: repr(code[:10]),
)
def test_a_bad_code_is_refused_in_plain_words(store, code):
    with pytest.raises(ClassError) as caught:
        store.tally(code)
    message = str(caught.value)
    assert "is not a class code: a code has 6 letters and digits (no 0, O, 1 or I)" in message
    assert len(message) < 200


def test_bad_guesses_are_refused(store):
    code = store.start(MODEL, 6, 12).code
    refused = [
        (("nosuch", "nsubj", 0, 0), "There is no class"),
        (("s", "all", 0, 0), "'all' is not a relation to guess; choose one of nsubj, amod"),
        (("s", "xyz", 0, 0), "'xyz' is not a relation to guess"),
        (("s", "nsubj", 6, 0), "L6H0 is not a head of all-MiniLM-L6-v2: layers 0 to 5, heads 0 to 11."),
        (("s", "nsubj", 0, 12), "L0H12 is not a head"),
        (("s", "nsubj", -1, 0), "is not a head"),
        (("s", "nsubj", 1.5, 0), "whole numbers from 0"),
        (("s", "nsubj", True, 0), "whole numbers from 0"),
        (("", "nsubj", 0, 0), "A session id is 1 to 128"),
        (("a b", "nsubj", 0, 0), "A session id"),
        (("x" * 129, "nsubj", 0, 0), "A session id"),
    ]
    for (session, relation, layer, head), words in refused:
        target = "ABC234" if session == "nosuch" else code
        with pytest.raises(ClassError, match=re.escape(words)):
            store.guess(target, session, relation, layer, head)
    assert store.tally(code).relations == ()


def stored_sessions(url: str) -> list[str]:
    """The session keys the store holds."""
    sql = "SELECT session FROM headscope_sessions"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite://") :]) as db:
            return [row[0] for row in db.execute(sql)]
    import psycopg

    with psycopg.connect(url) as db:
        return [row[0] for row in db.execute(sql)]


def test_sessions_are_kept_only_as_hashes(store, url):
    code = store.start(MODEL, 6, 12).code
    store.guess(code, "student-42-secret", "nsubj", 2, 8)
    assert stored_sessions(url) == [hashlib.sha256(b"student-42-secret").hexdigest()[:32]]
    assert store.guess_of(code, "student-42-secret", "nsubj").layer == 2
    if url.startswith("sqlite:///"):  # nowhere in the files either
        files = Path(url[len("sqlite://") :]).parent.glob("classes.sqlite3*")
        raw = b"".join(f.read_bytes() for f in files)
        assert code.encode() in raw and b"student-42-secret" not in raw


WRITER = """
import json, sys, time
from pathlib import Path
from headscope import classroom
url, code, who, folder = sys.argv[1:5]
store = classroom.open_store(url, max_sessions=60)
Path(folder, "ready-" + who).touch()
while not Path(folder, "go").exists():
    time.sleep(0.005)
done = {"accepted": 0, "full": 0}
for i in range(40):
    session = f"{who}-{i}"
    try:
        store.guess(code, session, "nsubj", i % 6, i % 12)
        store.guess(code, session, "amod", 2, 8)
        done["accepted"] += 1
    except classroom.ClassError as exc:
        assert "is full" in str(exc), exc  # anything else (a locked database) fails the test
        done["full"] += 1
print(json.dumps(done))
"""


def test_two_processes_write_at_once(url, tmp_path):
    """Two real processes guess into one class at the same moment (80 sessions for a cap of 60): every write
    lands or is refused as over the cap, and the cap holds exactly."""
    code = classroom.open_store(url).start(MODEL, 6, 12).code
    env = {**os.environ, "PYTHONPATH": str(support.ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, code, who, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for who in ("p", "q")
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{who}").exists() for who in ("p", "q")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["accepted"] for r in results) == 60
    assert sum(r["full"] for r in results) == 20
    store = classroom.open_store(url)
    tally = {r.relation: r for r in store.tally(code).relations}
    assert tally["nsubj"].total == tally["amod"].total == 60
    assert tally["amod"].counts == ((2, 8, 60),)
    if isinstance(store, classroom.PostgresStore):
        store.close()


def test_postgres_writes_to_one_class_wait_for_each_other(postgres):
    """A write locks its class's row (SELECT ... FOR UPDATE), so two replicas cannot both take the last place in
    a class: while another transaction holds the row, a guess waits for it, then lands."""
    import psycopg

    url = postgres  # the server's own database: this test's tables go with the server
    store = classroom.open_store(url)
    code = store.start(MODEL, 6, 12).code
    done = threading.Event()
    with psycopg.connect(url) as other:
        # NO KEY UPDATE: a lock that a plain insert's foreign-key check (KEY SHARE) would not wait for
        other.execute("SELECT code FROM headscope_classes WHERE code = %s FOR NO KEY UPDATE", (code,))
        writer = threading.Thread(target=lambda: (store.guess(code, "anna", "nsubj", 2, 8), done.set()))
        writer.start()
        deadline = time.monotonic() + 60
        with psycopg.connect(url, autocommit=True) as watch:
            while not watch.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'"
            ).fetchone():
                assert not done.is_set(), "the guess did not wait for the class's row"
                assert time.monotonic() < deadline
                time.sleep(0.02)
        assert not done.is_set()
        other.commit()
    writer.join(60)
    assert done.is_set()
    assert store.tally(code).relations[0].counts == ((2, 8, 1),)
    store.close()


def test_sqlite_store_is_in_the_cache_folder_in_wal_mode(monkeypatch, tmp_path):
    monkeypatch.delenv(classroom.DB_ENV, raising=False)
    monkeypatch.setenv("HEADSCOPE_CACHE", str(tmp_path / "cache"))
    assert classroom.store_url() == f"sqlite://{tmp_path / 'cache' / 'classes.sqlite3'}"
    store = classroom.open_store()
    store.start(MODEL, 6, 12)
    with sqlite3.connect(tmp_path / "cache" / "classes.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    monkeypatch.setenv(classroom.DB_ENV, "postgresql://h/db")
    assert classroom.store_url() == "postgresql://h/db"


def test_store_urls(tmp_path):
    with pytest.raises(ClassError, match=r"is postgresql://user:password@host/database or sqlite:///path, not ftp://"):
        classroom.open_store("ftp://host/x")
    with pytest.raises(ClassError, match="sqlite:///absolute/path"):
        classroom.open_store("sqlite://relative.db")
    for url in (f"sqlite://{tmp_path / 'x.db'}", f"sqlite:///{tmp_path / 'x.db'}", str(tmp_path / "x.db")):
        assert classroom.open_store(url).path == tmp_path / "x.db", url  # four slashes too, or a bare path
    port = support.free_port()  # nothing listens there
    with pytest.raises(ClassError) as caught:
        classroom.open_store(f"postgresql://teacher:hunter2@127.0.0.1:{port}/classes")
    message = str(caught.value)
    assert message.startswith(f"The class store postgresql://teacher:***@127.0.0.1:{port}/classes cannot be reached")
    assert "hunter2" not in message


def test_quiz_link():
    assert classroom.quiz_link("k7m2qx", "nsubj", "The black cat sat.") == (
        "quiz?class=K7M2QX&relation=nsubj&text=The+black+cat+sat."
    )
    assert classroom.quiz_link("K7M2QX", "amod") == "quiz?class=K7M2QX&relation=amod"
    with pytest.raises(ClassError):
        classroom.quiz_link("K7M2QX", "all")


# The command line, as a teacher runs it: `class start`, then `tally` (each loads the bundled model).


def test_cli_class_start_and_tally(url, loaded):
    started = support.headscope(
        "class", "start", "--relation", "amod", "--text", "A red fox.", "--format", "json", "--db", url
    )
    assert started.returncode == 0, started.stderr
    doc = json.loads(started.stdout)
    assert set(doc) == {"class", "model", "created", "expires", "link"}
    code = doc["class"]
    assert doc["link"] == f"quiz?class={code}&relation=amod&text=A+red+fox."
    assert (doc["model"], doc["expires"] - doc["created"]) == (MODEL, LIFETIME)

    store = classroom.open_store(url)
    for i, (relation, layer, head) in enumerate([("nsubj", 2, 8), ("nsubj", 2, 8), ("nsubj", 1, 4), ("amod", 0, 0)]):
        store.guess(code, f"s{i}", relation, layer, head)
    if isinstance(store, classroom.PostgresStore):
        store.close()
    result = support.headscope("tally", code.lower(), "--format", "json", **{classroom.DB_ENV: url})
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    verdicts = atlas.shipped(loaded).relations
    follows = {r: [head_name(*h) for h in verdicts[r].verdict.following_heads()] for r in ("nsubj", "amod")}
    assert follows["nsubj"], "the bundled model has heads that follow nsubj: the comparison below means something"
    assert doc == {
        "class": code,
        "relations": {
            "nsubj": {"guesses": {"L2H8": 2, "L1H4": 1}, "total": 3, "follows": follows["nsubj"]},
            "amod": {"guesses": {"L0H0": 1}, "total": 1, "follows": follows["amod"]},
        },
    }
    text = support.headscope("tally", code, "--db", url)
    assert text.returncode == 0, text.stderr
    assert f"class {code}: 2 relations guessed" in text.stdout
    assert "nsubj: 3 guesses (L2H8 2, L1H4 1); follow it: " + ", ".join(follows["nsubj"]) in text.stdout


def test_cli_bad_and_unknown_codes(tmp_path):
    db = f"sqlite://{tmp_path / 'c.sqlite3'}"
    support.one_line_error(support.headscope("tally", "abc", "--db", db), "'abc' is not a class code")
    line = support.one_line_error(support.headscope("tally", "ABC234", "--db", db))
    assert line == (
        "headscope: error: There is no class ABC234 (a code has 6 letters and digits; it may have expired "
        "after 24 hours)."
    )
    support.one_line_error(support.headscope("tally", "ABC234", "--db", "ftp://x"), "not ftp://")
    support.one_line_error(support.headscope("class"), "required: start")
    support.one_line_error(support.headscope("class", "start", "--relation", "all", "--db", db), "invalid choice")
