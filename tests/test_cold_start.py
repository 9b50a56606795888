"""A class opening a freshly started server on different pages at once: every session draws."""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench import load
from tests import support

PAGES = ("", "syntax", "overview", "inside", "rollout", "compare", "knockout", "present")
"""One session on each (the page's URL path; "" is Heads)."""
ROUNDS = 3
"""Fresh servers: the race was lost on 5 of 7 cold starts."""


async def _view(url: str, page: str) -> tuple[list[str], list[str], int]:
    """One session on a page until its run ends: (how its runs ended, the errors it showed, elements drawn)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.asyncio.client import connect

    ends, errors, elements = [], [], 0
    async with connect(
        url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"], origin=url, max_size=None
    ) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        await ws.send(msg.SerializeToString())
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await asyncio.wait_for(ws.recv(), 600))
            errors += load._shown_errors(forward)
            if forward.WhichOneof("type") == "delta" and forward.delta.WhichOneof("type") == "new_element":
                elements += 1
            if forward.WhichOneof("type") == "script_finished":
                ends.append(ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished))
                if forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return ends, errors, elements


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_class_on_different_pages_of_a_cold_server_all_draw(tmp_path, round_):
    with support.streamlit_server(log_path=tmp_path / "server.log") as url:

        async def class_():
            return await asyncio.gather(*(_view(url, page) for page in PAGES))

        views = asyncio.run(class_())
    for page, (ends, errors, elements) in zip(PAGES, views):
        assert ends[-1] == "FINISHED_SUCCESSFULLY" and not errors, (page or "heads", ends, errors)
        assert elements > 5, (page, elements)
