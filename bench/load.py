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


async def page_view(
    base: str, query: str, page: str = "", errors: list | None = None, messages: list | None = None
) -> tuple[float, int, bool]:
    """One page view: (seconds until the script run finished, bytes received, finished cleanly).

    `page` is the page's URL path ("syntax"; "" for the default page). With `errors`, the
    texts of the error messages and exceptions the view showed are appended to it; with
    `messages`, every message the server sent (a ForwardMsg).
    """
    from websockets.asyncio.client import connect

    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    start = time.perf_counter()
    received = 0
    async with connect(ws_url, subprotocols=["streamlit"], origin=base, max_size=None, open_timeout=TIMEOUT_S) as ws:
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


def run(base: str, users: int = 30) -> dict:
    """The classroom figures of issue 7 against one server."""
    shared = urlencode({"all": "1"})
    page_view_sync = lambda q: asyncio.run(page_view(base, q))  # noqa: E731
    page_view_sync(shared)  # warm: model loaded, figure cached
    return {
        "same_link_all_layers_3_views_each": run_users(base, users, 3, lambda u, v: shared),
        "own_sentence_heads_page": run_users(
            base, users, 1, lambda u, v: urlencode({"text": f"Student {u} thinks the {v} black cats sat on mat {u}."})
        ),
    }
