"""A class's guesses of which head follows a relation (issue 29, "Guess the head"), kept in a store every replica shares.

A teacher starts a class and gets a short code; each student's session guesses one head per relation, may change
it until that session's reveal, and the tally counts the guesses per head. Guesses are anonymous (a session is
kept only as a hash), a class holds at most `MAX_SESSIONS` sessions, a session writes at most `MAX_WRITES` times
a `WINDOW` (a flood is refused), and a class expires `LIFETIME` seconds after it started (then it is unknown, and
its rows are deleted).

The store is SQLite by default (`classes.sqlite3` in the cache folder; WAL and a busy timeout, so several
processes on one machine share it) or PostgreSQL when `HEADSCOPE_CLASS_DB` (or `url`) is `postgresql://...`
(the Kubernetes deployment; the driver, psycopg, is imported only then). Both run the same SQL, here.
"""

from __future__ import annotations

import contextlib
import hashlib
import numbers
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence
from urllib.parse import urlencode, urlsplit

from headscope.disk import cache_dir
from headscope.panels import head_name
from headscope.syntax import RELATION_NAMES, RELATIONS
from headscope.wording import plural

DB_ENV = "HEADSCOPE_CLASS_DB"
"""The store's URL: postgresql://user:password@host/db, or sqlite:///path (default: SQLite in the cache folder)."""
DB_FILE = "classes.sqlite3"
"""The default SQLite store's file name in the cache folder (disk.cache_dir)."""
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""A code's characters: digits and capitals without 0, O, 1 and I, which read alike."""
CODE_LENGTH = 6
"""Characters in a code: 32**6, about a billion codes."""
LIFETIME = 24 * 3600
"""Seconds a class lives after it starts."""
MAX_SESSIONS = 500
"""Sessions (students) that may guess in one class; each guesses at most once per relation."""
MAX_WRITES = 20
WINDOW = 60
"""A session may write (guess or reveal) MAX_WRITES times in a WINDOW of seconds; more is a flood, refused."""
MAX_CLASSES = 10_000
"""Live classes in one store; past it a new class is refused until old ones expire."""
CODE_FORMAT = f"a code has {CODE_LENGTH} letters and digits"
_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_SESSION = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class ClassError(ValueError):
    """A class, code, guess or store that cannot be used; the message says what is wrong, in plain words."""


@dataclass(frozen=True)
class ClassInfo:
    """A class: its code, when it started and expires (Unix seconds), and the model whose heads it guesses."""

    code: str
    created: float
    expires: float
    model: str
    layers: int
    heads: int


@dataclass(frozen=True)
class Guess:
    """One session's guess for one relation (None before it guessed), and whether it is revealed (then frozen)."""

    relation: str
    layer: int | None
    head: int | None
    revealed: bool


@dataclass(frozen=True)
class RelationTally:
    """One relation's guesses: (layer, head, count), most guessed first."""

    relation: str
    counts: tuple[tuple[int, int, int], ...]

    @property
    def total(self) -> int:
        """All guesses for the relation."""
        return sum(n for _, _, n in self.counts)


@dataclass(frozen=True)
class Tally:
    """A class and its guesses, per relation guessed (in RELATIONS order)."""

    info: ClassInfo
    relations: tuple[RelationTally, ...]


def normal_code(code: str) -> str:
    """A code as typed (any case, spaces around) in its stored form, or ClassError saying what a code looks like."""
    text = str(code).strip().upper()
    if not _CODE.fullmatch(text):
        shown = repr(str(code)[:20])
        raise ClassError(
            f"{shown} is not a class code: {CODE_FORMAT} (no 0, O, 1 or I), such as K7M2QX; "
            "ask your teacher for the code."
        )
    return text


def check_relation(relation: str) -> str:
    """A relation one can guess (syntax.RELATIONS), or ClassError listing them."""
    if relation not in RELATIONS:
        raise ClassError(f"{str(relation)[:20]!r} is not a relation to guess; choose one of {', '.join(RELATIONS)}.")
    return relation


def question(relation: str) -> str:
    """The quiz's question for a relation, from its name (syntax.RELATION_NAMES): 'Which head links the subject to
    its verb?'."""
    dependent, governor = RELATION_NAMES[check_relation(relation)].split(" -> ")
    return f"Which head links the {dependent} to {governor if governor.startswith('its ') else 'its ' + governor}?"


def guess_words(
    relation: str, guess: tuple[int, int], follows: Sequence[tuple[int, int]], best: tuple[int, int] | None
) -> str:
    """A student's guess against the verdict, in one sentence: `follows` are the heads that follow the relation
    over the corpus (verdict's rule), `best` the one the answer is about (the best head when none follows)."""
    name = head_name(*guess)
    if tuple(guess) in {tuple(h) for h in follows}:
        others = len(follows) - 1
        also = f" ({plural(others, 'other head')} {'does' if others == 1 else 'do'} too)" if others else ""
        return f"Right: your guess, {name}, follows {relation} over the corpus{also}."
    if follows:
        listed = ", ".join(head_name(*h) for h in follows[:5]) + (" and more" if len(follows) > 5 else "")
        return f"Not this time: your guess, {name}, does not follow {relation}; {listed} {'does' if len(follows) == 1 else 'do'}."
    if best is None:
        return f"No head follows {relation} over the corpus, so no guess is right; yours was {name}."
    said = "your guess" if tuple(best) == tuple(guess) else f"yours was {name}"
    return f"No head follows {relation} over the corpus, so no guess is right; the best head is {head_name(*best)}, {said}."


def quiz_link(code: str, relation: str, text: str | None = None) -> str:
    """The quiz page's link for a class and relation, with the sentence (relative: put the app's address before it)."""
    params = {"class": normal_code(code), "relation": check_relation(relation)}
    if text:
        params["text"] = text
    return "quiz?" + urlencode(params)


def store_url(env: Mapping[str, str] | None = None) -> str:
    """The store's URL: $HEADSCOPE_CLASS_DB, else the SQLite file in the cache folder."""
    env = os.environ if env is None else env
    return env.get(DB_ENV, "").strip() or f"sqlite://{(cache_dir() / DB_FILE).absolute()}"


def open_store(url: str | None = None, now: Callable[[], float] = time.time, **limits: int) -> ClassStore:
    """The store at `url` (default: store_url()): PostgreSQL for postgresql://, else SQLite (sqlite:///path or a
    path). `now` is the clock (Unix seconds); `limits` override max_sessions, max_writes, window, max_classes."""
    url = url or store_url()
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresStore(url, now, **limits)
    if scheme == "sqlite":
        path = url[len("sqlite://") :]  # sqlite:///srv/classes.sqlite3 is /srv/classes.sqlite3
        if not path.startswith("/"):
            raise ClassError(f"A class store (--db or {DB_ENV}) in SQLite is sqlite:///absolute/path (three slashes).")
        return SQLiteStore("/" + path.lstrip("/"), now, **limits)
    if scheme and len(scheme) > 1:  # "c:" is a drive, not a scheme
        raise ClassError(
            f"A class store (--db or {DB_ENV}) is postgresql://user:password@host/database or sqlite:///path, not {scheme}://."
        )
    return SQLiteStore(url, now, **limits)


def _session_key(session_id: str) -> str:
    """A session as stored: a hash, so the store holds no session id."""
    if not isinstance(session_id, str) or not _SESSION.fullmatch(session_id):
        raise ClassError("A session id is 1 to 128 letters, digits and _ . : - (the page passes its own).")
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS headscope_classes (
        code TEXT PRIMARY KEY,
        created DOUBLE PRECISION NOT NULL,
        model TEXT NOT NULL,
        layers INTEGER NOT NULL,
        heads INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS headscope_classes_created ON headscope_classes (created)",
    """CREATE TABLE IF NOT EXISTS headscope_sessions (
        code TEXT NOT NULL REFERENCES headscope_classes (code) ON DELETE CASCADE,
        session TEXT NOT NULL,
        window_start DOUBLE PRECISION NOT NULL,
        writes INTEGER NOT NULL,
        PRIMARY KEY (code, session))""",
    """CREATE TABLE IF NOT EXISTS headscope_guesses (
        code TEXT NOT NULL,
        session TEXT NOT NULL,
        relation TEXT NOT NULL,
        layer INTEGER,
        head INTEGER,
        revealed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (code, session, relation),
        FOREIGN KEY (code, session) REFERENCES headscope_sessions (code, session) ON DELETE CASCADE)""",
)
"""The tables, the same SQL for SQLite and PostgreSQL. A guess row with no head is a reveal before any guess."""


class ClassStore:
    """Classes and their guesses in one SQL store; SQLiteStore and PostgresStore say only how to connect."""

    LOCK = ""
    """What a SELECT of a class adds to lock its row until the transaction ends (SQLite locks the whole file)."""

    def __init__(
        self,
        now: Callable[[], float] = time.time,
        max_sessions: int = MAX_SESSIONS,
        max_writes: int = MAX_WRITES,
        window: int = WINDOW,
        max_classes: int = MAX_CLASSES,
    ):
        self.now = now
        self.max_sessions, self.max_writes, self.window, self.max_classes = (
            max_sessions,
            max_writes,
            window,
            max_classes,
        )

    def _transaction(self, write: bool) -> contextlib.AbstractContextManager[Callable]:
        """A transaction; yields run(sql, params) -> cursor (SQL written with ? placeholders)."""
        raise NotImplementedError

    def start(self, model: str, layers: int, heads: int) -> ClassInfo:
        """A new class guessing the heads of `model` (layers x heads), with a fresh code; expired classes go."""
        if not (isinstance(layers, int) and isinstance(heads, int) and layers > 0 and heads > 0):
            raise ClassError("A class's model needs at least one layer and one head.")
        now = self.now()
        with self._transaction(write=True) as run:
            run("DELETE FROM headscope_classes WHERE created <= ?", (now - LIFETIME,))
            (live,) = run("SELECT COUNT(*) FROM headscope_classes").fetchone()
            if live >= self.max_classes:
                raise ClassError(f"This server already has {live:,} classes running; try again tomorrow.")
            for _ in range(20):  # a clash is one in a million at 1,000 live classes
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                added = run(
                    "INSERT INTO headscope_classes (code, created, model, layers, heads) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (code) DO NOTHING",
                    (code, now, model, layers, heads),
                ).rowcount
                if added == 1:
                    return ClassInfo(code, now, now + LIFETIME, model, layers, heads)
        raise ClassError("No free class code was found; try again.")  # pragma: no cover - 20 clashes in a row

    def info(self, code: str) -> ClassInfo:
        """A live class, or ClassError: not a code, or no such class (never started, or expired)."""
        with self._transaction(write=False) as run:
            return self._live(run, normal_code(code))

    def guess(self, code: str, session_id: str, relation: str, layer: int, head: int) -> Guess:
        """Record (or change) a session's guess for a relation; refused after that session's reveal."""
        check_relation(relation)
        session = _session_key(session_id)
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in (layer, head)):
            raise ClassError("A guess is a layer and a head, whole numbers from 0.")
        layer, head = int(layer), int(head)
        with self._transaction(write=True) as run:
            info = self._live(run, normal_code(code), self.LOCK)
            if not (0 <= layer < info.layers and 0 <= head < info.heads):
                raise ClassError(
                    f"{head_name(layer, head)} is not a head of {info.model}: layers 0 to {info.layers - 1}, "
                    f"heads 0 to {info.heads - 1}."
                )
            if self._guess(run, info.code, session, relation).revealed:
                raise ClassError(
                    f"The answer for {relation} is already revealed to you: your guess can no longer change."
                )
            self._count_write(run, info.code, session)
            run(
                "INSERT INTO headscope_guesses (code, session, relation, layer, head) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (code, session, relation) DO UPDATE SET layer = excluded.layer, head = excluded.head",
                (info.code, session, relation, layer, head),
            )
        return Guess(relation, layer, head, revealed=False)

    def reveal(self, code: str, session_id: str, relation: str) -> Guess:
        """Show a session the answer for a relation: its guess (if any) is frozen from now on."""
        check_relation(relation)
        session = _session_key(session_id)
        with self._transaction(write=True) as run:
            info = self._live(run, normal_code(code), self.LOCK)
            self._count_write(run, info.code, session)
            run(
                "INSERT INTO headscope_guesses (code, session, relation, revealed) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (code, session, relation) DO UPDATE SET revealed = 1",
                (info.code, session, relation),
            )
            return self._guess(run, info.code, session, relation)

    def guess_of(self, code: str, session_id: str, relation: str) -> Guess:
        """A session's guess for a relation (layer and head None before it guessed)."""
        check_relation(relation)
        session = _session_key(session_id)
        with self._transaction(write=False) as run:
            info = self._live(run, normal_code(code))
            return self._guess(run, info.code, session, relation)

    def tally(self, code: str) -> Tally:
        """A class's guesses counted per relation and head."""
        with self._transaction(write=False) as run:
            info = self._live(run, normal_code(code))
            rows = run(
                "SELECT relation, layer, head, COUNT(*) FROM headscope_guesses WHERE code = ? AND layer IS NOT NULL "
                "GROUP BY relation, layer, head",
                (info.code,),
            ).fetchall()
        per: dict[str, list[tuple[int, int, int]]] = {}
        for relation, layer, head, n in rows:
            per.setdefault(relation, []).append((int(layer), int(head), int(n)))
        return Tally(
            info,
            tuple(
                RelationTally(r, tuple(sorted(per[r], key=lambda c: (-c[2], c[0], c[1]))))
                for r in RELATIONS
                if r in per
            ),
        )

    def _live(self, run: Callable, code: str, lock: str = "") -> ClassInfo:
        """The class `code` if it has not expired, else ClassError (there is no such class)."""
        row = run(
            f"SELECT code, created, model, layers, heads FROM headscope_classes WHERE code = ?{lock}", (code,)
        ).fetchone()
        if row is None or row[1] <= self.now() - LIFETIME:
            raise ClassError(
                f"There is no class {code} ({CODE_FORMAT}; it may have expired after {LIFETIME // 3600} hours)."
            )
        return ClassInfo(row[0], row[1], row[1] + LIFETIME, row[2], row[3], row[4])

    def _count_write(self, run: Callable, code: str, session: str) -> None:
        """Count a session's write, or ClassError: the class is full (a new session) or the session floods."""
        now = self.now()
        row = run(
            "SELECT window_start, writes FROM headscope_sessions WHERE code = ? AND session = ?", (code, session)
        ).fetchone()
        if row is None:
            (sessions,) = run("SELECT COUNT(*) FROM headscope_sessions WHERE code = ?", (code,)).fetchone()
            if sessions >= self.max_sessions:
                raise ClassError(
                    f"Class {code} is full: {sessions} students have guessed already; ask your teacher for a new class."
                )
            run(
                "INSERT INTO headscope_sessions (code, session, window_start, writes) VALUES (?, ?, ?, 1)",
                (code, session, now),
            )
        elif now - row[0] >= self.window:
            run(
                "UPDATE headscope_sessions SET window_start = ?, writes = 1 WHERE code = ? AND session = ?",
                (now, code, session),
            )
        elif row[1] >= self.max_writes:
            wait = max(1, int(row[0] + self.window - now + 0.999))
            raise ClassError(f"Too many guesses too fast from this session; wait {wait} seconds and try again.")
        else:
            run("UPDATE headscope_sessions SET writes = writes + 1 WHERE code = ? AND session = ?", (code, session))

    def _guess(self, run: Callable, code: str, session: str, relation: str) -> Guess:
        """The stored guess of a session for a relation."""
        row = run(
            "SELECT layer, head, revealed FROM headscope_guesses WHERE code = ? AND session = ? AND relation = ?",
            (code, session, relation),
        ).fetchone()
        return Guess(relation, None, None, False) if row is None else Guess(relation, row[0], row[1], bool(row[2]))


class SQLiteStore(ClassStore):
    """The store in one SQLite file: WAL, a busy timeout, and writes in BEGIN IMMEDIATE (one writer at a time)."""

    BUSY_TIMEOUT = 30.0
    """Seconds a connection waits for another process's write before it gives up."""

    def __init__(self, path: str | os.PathLike, now: Callable[[], float] = time.time, **limits: int):
        super().__init__(now, **limits)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(self._connect()) as db:
                db.execute("PRAGMA journal_mode = WAL")  # kept in the file: every later connection reads it
                db.execute("BEGIN IMMEDIATE")
                for statement in SCHEMA:
                    db.execute(statement)
                db.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            raise ClassError(f"The class store {self.path} cannot be used: {exc}.") from None

    def _connect(self) -> sqlite3.Connection:
        """A connection in autocommit mode (transactions are explicit) with foreign keys on."""
        db = sqlite3.connect(self.path, timeout=self.BUSY_TIMEOUT, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
        return db

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[Callable]:
        """A connection for one transaction; a write takes the file's write lock at once (no upgrade deadlock)."""
        try:
            db = self._connect()
        except sqlite3.Error as exc:
            raise ClassError(f"The class store {self.path} cannot be opened: {exc}.") from None
        with contextlib.closing(db):
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield db.execute
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise ClassError(f"The class store {self.path} failed: {exc}; try again.") from None
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")


class PostgresStore(ClassStore):
    """The store in a PostgreSQL database (psycopg 3): one connection per store, one transaction at a time;
    a write locks its class's row (SELECT ... FOR UPDATE), so the caps hold across replicas."""

    LOCK = " FOR UPDATE"

    def __init__(self, url: str, now: Callable[[], float] = time.time, **limits: int):
        super().__init__(now, **limits)
        try:
            import psycopg
        except ImportError:
            raise ClassError(
                f"{DB_ENV} names PostgreSQL, and its driver is not installed: pip install 'psycopg[binary]'."
            ) from None
        self._psycopg = psycopg
        self.url = url
        self.shown = _without_password(url)
        self._lock = threading.Lock()
        self._db = None
        with self._transaction(write=True) as run:
            run("SELECT pg_advisory_xact_lock(2929)", ())  # two replicas creating the tables at once
            for statement in SCHEMA:
                run(statement, ())

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[Callable]:
        """The store's connection (reopened when it broke) in one transaction, one thread at a time."""
        psycopg = self._psycopg
        with self._lock:
            try:
                if self._db is None or self._db.closed or self._db.broken:
                    self._db = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
                with self._db.transaction(), self._db.cursor() as cursor:

                    def run(sql: str, params: Sequence = ()):
                        cursor.execute(sql.replace("?", "%s"), params)
                        return cursor

                    yield run
            except psycopg.OperationalError as exc:
                first = (str(exc).strip().splitlines() or ["no answer"])[0]
                raise ClassError(f"The class store {self.shown} cannot be reached: {first}") from None

    def close(self) -> None:
        """Close the connection (a later call opens another)."""
        with self._lock:
            if self._db is not None:
                self._db.close()


def _without_password(url: str) -> str:
    """A database URL fit to show: its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def tally_json(t: Tally, follows: Mapping[str, Sequence[tuple[int, int]]]) -> dict:
    """The `tally` command's JSON: per relation guessed, the guesses per head, their total, and the heads that
    follow it (`follows`: relation -> (layer, head), from verdict's rule over the model's corpus atlas)."""
    return {
        "class": t.info.code,
        "relations": {
            r.relation: {
                "guesses": {head_name(layer, head): n for layer, head, n in r.counts},
                "total": r.total,
                "follows": [head_name(layer, head) for layer, head in follows.get(r.relation, ())],
            }
            for r in t.relations
        },
    }
