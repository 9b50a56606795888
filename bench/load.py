"""A protocol-level load generator: N simulated users, each opening the app over Streamlit's websocket.

Each page view is a new session (as a browser tab is): connect to /_stcore/stream, ask for a
script run with the view's query string, read the server's messages until the run
finishes. No browser is involved, so the numbers are the server's.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from urllib.parse import urlencode

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

TIMEOUT_S = 120


def session(base: str):
    """A new Streamlit session on the server at `base`: its websocket, opened as a browser tab opens it."""
    from websockets.asyncio.client import connect

    return connect(
        base.replace("http://", "ws://") + "/_stcore/stream",
        subprotocols=["streamlit"],
        origin=base,
        max_size=None,
        open_timeout=TIMEOUT_S,
    )


async def page_view(
    base: str, query: str, page: str = "", errors: list | None = None, messages: list | None = None
) -> tuple[float, int, bool]:
    """One page view: (seconds until the script run finished, bytes received, finished cleanly).

    `page` is the page's URL path ("syntax"; "" for the default page). With `errors`, the
    texts of the error messages and exceptions the view showed are appended to it; with
    `messages`, every message the server sent (a ForwardMsg).
    """
    start = time.perf_counter()
    received = 0
    async with session(base) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        msg.rerun_script.page_name = page
        await ws.send(msg.SerializeToString())
        while True:
            data = await asyncio.wait_for(ws.recv(), TIMEOUT_S)
            received += len(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            if errors is not None:
                errors.extend(_shown_errors(forward))
            if messages is not None:
                messages.append(forward)
            if forward.WhichOneof("type") == "script_finished":
                ok = forward.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                return time.perf_counter() - start, received, ok


def _shown_errors(forward: ForwardMsg) -> list[str]:
    """The text of an error message or exception that a message draws, if it draws one."""
    if forward.WhichOneof("type") != "delta" or forward.delta.WhichOneof("type") != "new_element":
        return []
    element = forward.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return [f"{element.exception.type}: {element.exception.message}"]
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return [element.alert.body]
    return []


async def _user(
    base: str, queries: list[str], page: str = "", errors: list | None = None
) -> list[tuple[float, int, bool]]:
    """One user's page views of `page`, one after the other."""
    return [await page_view(base, q, page, errors) for q in queries]


def run_users(base: str, users: int, views: int, query_for, page: str = "") -> dict:
    """`users` at once, each making `views` page views of `page` (its URL path, "" for the default
    page); query_for(user, view) gives each query string."""
    shown: list[str] = []

    async def main():
        start = time.perf_counter()
        results = await asyncio.gather(
            *(_user(base, [query_for(u, v) for v in range(views)], page, shown) for u in range(users))
        )
        return results, time.perf_counter() - start

    results, wall = asyncio.run(main())
    flat = [r for user in results for r in user]
    latencies = sorted(r[0] for r in flat)
    p90 = latencies[max(0, int(round(0.9 * len(latencies))) - 1)]
    return {
        "users": users,
        "views": len(flat),
        "failed": sum(1 for r in flat if not r[2]),
        "views_per_s": round(len(flat) / wall, 2),
        "median_s": round(statistics.median(latencies), 3),
        "p90_s": round(p90, 3),
        "max_s": round(latencies[-1], 3),
        "median_bytes": int(statistics.median(r[1] for r in flat)),
        "errors_shown": len(shown),
        "first_error": shown[0][:200] if shown else None,
    }


_SUBJECTS = (
    "the black cat",
    "my old teacher",
    "a tired farmer",
    "the children",
    "our quiet neighbour",
    "this small dog",
    "the new student",
    "a young pilot",
    "the clever birds",
    "her brother",
)
_VERBS = ("sat", "waited", "slept", "read a long book", "sang a song", "found the keys", "danced", "painted the fence")
_PLACES = (
    "on the mat",
    "near the river",
    "in the garden",
    "under the old bridge",
    "at the station",
    "by the window",
    "behind the house",
    "in a crowded room",
)
_AFTER = (
    "",
    " after lunch",
    " while the rain fell",
    " because the door was locked",
    " and then left quietly",
    " before the long meeting started",
    " with two friends from school",
)


def student_sentence(user: int, view: int) -> str:
    """A sentence no other (user, view) gets, 5 to 20 words long, as a class typing their own would write."""
    i = user * 31 + view * 7
    words = f"{_SUBJECTS[i % 10]} {_VERBS[(i // 10) % 8]} {_PLACES[(user + 3 * view) % 8]}{_AFTER[(i // 3) % 7]}"
    return f"{words[0].upper()}{words[1:]} on day {user * 10 + view}."


def own_sentences(base: str, page: str = "", users: int = 30, views: int = 3, repeats: int = 3) -> dict:
    """Each of `users` opens `page` `views` times, every view with a sentence nobody asked for before
    (`student_sentence`), `repeats` times over (new sentences each time): the medians of the repeats'
    views/s, median and p90 seconds, and every repeat's figures."""
    runs = []
    for r in range(repeats):
        first = 1000 * (r + 1)  # views 1000.. never met by another repeat (nor by the warm-up below)
        runs.append(
            run_users(
                base, users, views, lambda u, v, first=first: urlencode({"text": student_sentence(u, first + v)}), page
            )
        )
    pick = lambda key: statistics.median(run[key] for run in runs)  # noqa: E731
    return {
        "users": users,
        "views_each": views,
        "repeats": repeats,
        "views_per_s": pick("views_per_s"),
        "median_s": pick("median_s"),
        "p90_s": pick("p90_s"),
        "failed": sum(run["failed"] for run in runs),
        "errors_shown": sum(run["errors_shown"] for run in runs),
        "runs": runs,
    }


def warm(base: str) -> None:
    """One view of each measured page: the parser, the corpus atlas and each page's code loaded."""
    for page in ("", "syntax"):
        asyncio.run(page_view(base, urlencode({"text": student_sentence(0, 999)}), page))


def run(base: str, users: int = 30) -> dict:
    """The classroom figures of issues 7 and 28 against one server: a shared link, and each student's own sentences."""
    shared = urlencode({"all": "1"})
    asyncio.run(page_view(base, shared))  # warm: model loaded, figure cached
    warm(base)
    return {
        "same_link_all_layers_3_views_each": run_users(base, users, 3, lambda u, v: shared),
        "own_sentences_heads_page": own_sentences(base, "", users),
        "own_sentences_syntax_page": own_sentences(base, "syntax", users),
    }


def main(argv: list[str] | None = None) -> None:
    """python -m bench.load [--users 30] [--views 3] [--repeats 3]: each student's own sentences on Heads and
    Syntax heads, one fresh server; prints JSON."""
    import argparse
    import json

    from tests.support import streamlit_server

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=main.__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with streamlit_server() as url:
        warm(url)
        report = {
            page or "heads": own_sentences(url, page, args.users, args.views, args.repeats) for page in ("", "syntax")
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
