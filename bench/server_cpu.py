"""Server CPU per page view under a classroom's load: a figure that a busy, shared machine disturbs less.

Views/s and p90 (bench/pages.py) depend on what else runs on the machine; the CPU seconds the server
process spends per view much less so. Starts `streamlit run app.py`, opens the page three times
(model loaded, caches warm), then for each round runs `users` x `views` views of the page's link
(bench/load.py) and reads the server's CPU time (user + system, all threads) before and after.

    python -m bench.server_cpu inside [--rounds 3] [--users 30] [--views 3] [--query "text=..."]

Run it from each checkout to compare two versions in the same conditions. Prints JSON; never fails
on a number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run(page: str, rounds: int = 3, users: int = 30, views: int = 3, query: str = "") -> dict:
    """CPU ms per view of the server, with views/s and p90, for each round of the load."""
    from bench import load, memory, pages
    from tests import support

    (target,) = pages.select([page])
    out = []
    with support.streamlit_server() as url:
        server = psutil.Process(memory.server_pid(url))
        for _ in range(3):
            asyncio.run(load.page_view(url, query, target.url_path))
        for _ in range(rounds):
            before = server.cpu_times()
            result = load.run_users(url, users, views, lambda u, v: query, page=target.url_path)
            after = server.cpu_times()
            cpu = (after.user - before.user) + (after.system - before.system)
            out.append(
                {
                    "cpu_ms_per_view": round(1000 * cpu / max(1, result["views"]), 1),
                    "views_per_s": result["views_per_s"],
                    "p90_s": result["p90_s"],
                    "median_bytes": result["median_bytes"],
                    "failed": result["failed"],
                }
            )
    return {"page": page, "load_average": [round(x, 2) for x in os.getloadavg()], "rounds": out}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a page key (python -m bench.pages --list)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--query", default="", help="the link's query string (default: the page's defaults)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.page, args.rounds, args.users, args.views, args.query), indent=2))


if __name__ == "__main__":
    main()
