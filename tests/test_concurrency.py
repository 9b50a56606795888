"""A room of students asking at once for a model that is not loaded yet: it is loaded once."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from bench import load
from tests import support, tiny


def test_thirty_sessions_at_once_load_a_new_model_once(tmp_path):
    folder = tiny.make("bert", tmp_path / "tiny-bert")
    log = tmp_path / "server.log"
    with support.streamlit_server(log_path=log) as url:
        query = urlencode({"model": str(folder), "text": "Thirty students open one link."})

        async def room():
            return await asyncio.gather(*(load.page_view(url, query) for _ in range(30)))

        views = asyncio.run(room())
        assert all(ok for _, _, ok in views)  # every session's run finished cleanly
        again = asyncio.run(load.page_view(url, query))
        assert again[2]
    loads = [line for line in log.read_text().splitlines() if line.startswith("headscope: loaded ")]
    # 31 page views, one load of the model they asked for (the bundled one is loaded first, once: cached.ready)
    assert len([line for line in loads if str(folder) in line]) == 1, loads
    assert len(loads) == 2 and "all-MiniLM-L6-v2" in loads[0], loads
