"""Resident memory of one Streamlit process over many page views (issue 7 and issue 8 soak).

Views are made by bench/load.py's websocket client, 10 users at once; the server's resident
set size is read with psutil after every `every` views.
"""

from __future__ import annotations

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
        result = load.run_users(url, users, per_user, lambda u, v: _query(start + u * per_user + v, distinct))
        failed += result["failed"]
        done += users * per_user
        points.append([done, mb()])
    return {"views": done, "distinct_sentences": distinct, "failed": failed,
            "rss_mb_by_views": points, "rss_mb_final": points[-1][1], "rss_mb_peak": max(p[1] for p in points)}


def run() -> dict:
    """700 views over 150 sentences (issue 7), then a 2,000-view soak of distinct sentences (issue 8)."""
    from tests.support import streamlit_server

    out = {}
    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")  # the model loaded
        out["after_700_views_150_sentences"] = curve(url, 700, 150, every=100)
    with streamlit_server() as url:
        load.run_users(url, 1, 1, lambda u, v: "")
        out["soak_2000_views_distinct_sentences"] = curve(url, 2000, 2000, every=200)
    return out
