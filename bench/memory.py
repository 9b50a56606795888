"""Resident memory of one Streamlit process over many page views (issues 7, 8 and 13 soaks).

Views are made by bench/load.py's websocket client, 10 users at once; the server's resident
set size is read with psutil after every `every` views. The long-text soak (issue 13) opens
200 distinct texts of 300-512 tokens on every page.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil

from bench import load

SENTENCE = "Student {i} saw {n} black cats sit on the mat near door {i}."


def server_pid(url: str) -> int:
    """The process listening on the URL's port."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return conn.pid
    raise RuntimeError(f"nothing listens on port {port}")


def _query(view: int, distinct: int) -> str:
    """Heads page views over `distinct` sentences; every third view shows all 72 heads."""
    from urllib.parse import urlencode

    i = view % distinct
    params = {"text": SENTENCE.format(i=i, n=i % 7)}
    if view % 3 == 0:
        params["all"] = "1"
    return urlencode(params)


def curve(url: str, views: int, distinct: int, every: int, users: int = 10) -> dict:
    """RSS in MB at the start and after every `every` views; the views' failure count."""
    process = psutil.Process(server_pid(url))
    mb = lambda: round(process.memory_info().rss / 2**20, 1)  # noqa: E731
    points = [[0, mb()]]
    failed = 0
    done = 0
    while done < views:
        batch = min(every, views - done)
        per_user = -(-batch // users)
        start = done
        result = load.run_users(
            url,
            users,
            per_user,
            lambda u, v, start=start, per_user=per_user: _query(start + u * per_user + v, distinct),
        )
        failed += result["failed"]
        done += users * per_user
        points.append([done, mb()])
    return {
        "views": done,
        "distinct_sentences": distinct,
        "failed": failed,
        "rss_mb_by_views": points,
        "rss_mb_final": points[-1][1],
        "rss_mb_peak": max(p[1] for p in points),
    }


CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus.txt"


def views() -> list[tuple[str, dict]]:
    """Every page of app.py's navigation (its URL path, extra query parameters); Heads twice: one layer, all layers."""
    from bench.pages import app_pages

    listed = [(page.url_path, {}) for page in app_pages()]
    return [*listed, *((path, {"all": "1"}) for path, _ in listed if path == "")]


def long_texts(count: int, low: int = 300, high: int = 512, seed: int = 13) -> list[tuple[str, int]]:
    """`count` distinct texts of `low`..`high` tokens of the bundled model ([CLS] and [SEP] counted),
    each the bundled corpus's sentences shuffled and joined; with their token counts."""
    from transformers import AutoTokenizer

    from headscope import models

    tokenizer = AutoTokenizer.from_pretrained(str(models.bundled_path()))
    sentences = [line.strip() for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    texts: dict[str, int] = {}
    while len(texts) < count:
        goal = rng.randint(low, high)
        order = rng.sample(sentences, len(sentences))
        chosen, tokens = [], 2
        for sentence in order:
            more = len(tokenizer(sentence, add_special_tokens=False)["input_ids"])
            if tokens + more > goal:
                break
            chosen.append(sentence)
            tokens += more
        text = " ".join(chosen)
        tokens = len(tokenizer(text)["input_ids"])  # joined, as the server tokenizes it
        if low <= tokens <= high:
            texts.setdefault(text, tokens)
    return list(texts.items())


class _Peak:
    """The highest resident set size of a process, sampled every `interval` seconds in a thread."""

    def __init__(self, process: psutil.Process, interval: float = 0.25):
        self.process, self.interval, self.mb = process, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.mb = max(self.mb, self.process.memory_info().rss / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def long_text_soak(url: str, count: int = 200, every: int = 25, users: int = 5) -> dict:
    """Resident memory while `count` distinct long texts are each opened on every page.

    `users` people at once, each opening one text's pages one after the other; RSS in MB at
    the start, after every `every` texts and at the end; the peak sampled all along; views
    that did not finish cleanly or showed an error message (with the first few messages).
    """
    import asyncio

    process = psutil.Process(server_pid(url))
    mb = lambda: round(process.memory_info().rss / 2**20, 1)  # noqa: E731
    texts = long_texts(count)
    errors: list[str] = []
    failed = 0
    points = [[0, mb()]]
    start = time.perf_counter()

    every_page = views()

    async def one_text(text: str) -> int:
        bad = 0
        for page, extra in every_page:
            shown: list[str] = []
            try:
                _, _, ok = await load.page_view(url, urlencode({"text": text, **extra}), page=page, errors=shown)
            except Exception as exc:  # noqa: BLE001 - a dropped connection or a timeout is a failed view
                ok, shown = False, [f"{type(exc).__name__}: {exc}"]
            if not ok or shown:
                bad += 1
                errors.extend(f"{page or 'heads'}: {e[:200]}" for e in shown[:1])
        return bad

    async def batch(chunk: list[str]) -> int:
        done = 0
        for i in range(0, len(chunk), users):
            done += sum(await asyncio.gather(*(one_text(t) for t in chunk[i : i + users])))
        return done

    with _Peak(process) as peak:
        for first in range(0, len(texts), every):
            chunk = [t for t, _ in texts[first : first + every]]
            failed += asyncio.run(batch(chunk))
            points.append([first + len(chunk), mb()])
    tokens = [n for _, n in texts]
    return {
        "texts": len(texts),
        "tokens_min": min(tokens),
        "tokens_max": max(tokens),
        "views": len(texts) * len(every_page),
        "pages": [p or "heads" for p, _ in every_page],
        "users": users,
        "failed": failed,
        "errors": errors[:5],
        "minutes": round((time.perf_counter() - start) / 60, 1),
        "rss_mb_by_texts": points,
        "rss_mb_final": points[-1][1],
        "rss_mb_peak": round(max(peak.mb, *(p[1] for p in points)), 1),
    }


def run() -> dict:
    """700 views over 150 sentences (issue 7), a 2,000-view soak of distinct sentences (issue 8),
    then 200 distinct long texts on every page (issue 13)."""
    from tests.support import streamlit_server

    out = {}
    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")  # the model loaded
        out["after_700_views_150_sentences"] = curve(url, 700, 150, every=100)
    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")
        out["soak_2000_views_distinct_sentences"] = curve(url, 2000, 2000, every=200)
    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")
        out["soak_200_long_texts_all_pages"] = long_text_soak(url)
    return out


if __name__ == "__main__":  # `python -m bench.memory 40`: the long-text soak alone, over 40 texts
    import json
    import sys

    from tests.support import streamlit_server

    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
        print(json.dumps(long_text_soak(url, count, every=max(1, min(25, count // 4))), indent=2))
