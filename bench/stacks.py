"""Where one server's time goes while a classroom opens one page: py-spy over bench/pages' load.

Starts `streamlit run app.py`, opens the page twice (model loaded, caches warm), then samples
the server with py-spy (`pip install py-spy`) while `users` x `views` views of the page's link
run, and prints the functions that were on the CPU most: by own time ("self", the innermost
frame) and with what they call ("total"), as a share of all samples of busy threads.

    python -m bench.stacks syntax [--users 30] [--views 3] [--top 25] [--raw FILE] [--gil]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_LINE = re.compile(r" \((.*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """A py-spy frame `fn (path/to/file.py:12)` as `fn (package/file.py)`: lines merged, paths shortened."""
    match = _LINE.search(frame)
    if not match:
        return frame
    path = match.group(1)
    for marker in ("site-packages/", "/work/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{frame[: match.start()]} ({path})"


def top_functions(raw: str, top: int = 25) -> dict:
    """Self and total shares of the functions in py-spy's raw (collapsed stacks) output."""
    own: collections.Counter = collections.Counter()
    total: collections.Counter = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame_name(f) for f in stack.split(";")]
        samples += n
        own[frames[-1]] += n
        for name in set(frames):
            total[name] += n
    share = lambda c: [[name, round(100 * n / samples, 1)] for name, n in c.most_common(top)]  # noqa: E731
    return {"samples": samples, "self_percent": share(own), "total_percent": share(total)}


def run(
    page: str, users: int = 30, views: int = 3, rate: int = 100, raw_path: Path | None = None, gil: bool = False
) -> dict:
    """Load figures and py-spy's top functions of one server while `page` (a bench.pages key) is under load;
    with `gil`, only the thread holding the GIL is sampled (where the CPU goes, not who waits for it)."""
    from bench import load, memory, pages
    from tests import support

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    (target,) = pages.select([page])
    with support.streamlit_server() as url, tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):
            asyncio.run(load.page_view(url, "", target.url_path))
        out = Path(raw_path or Path(tmp) / "stacks.txt")
        proc = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(memory.server_pid(url)),
                "--format",
                "raw",
                "--rate",
                str(rate),
                "--output",
                str(out),
                "--nonblocking",
                *(["--gil"] if gil else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # py-spy attached
        result = load.run_users(url, users, views, lambda u, v: "", page=target.url_path)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if not out.exists():
            raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace').strip()[-300:]}")
        return {"page": page, "load": result, **top_functions(out.read_text())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stacks", description=__doc__.splitlines()[0])
    parser.add_argument("page", help="a page key (python -m bench.pages --list)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in this file")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL")
    args = parser.parse_args(argv)
    report = run(args.page, args.users, args.views, args.rate, args.raw, args.gil)
    report["self_percent"] = report["self_percent"][: args.top]
    report["total_percent"] = report["total_percent"][: args.top]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
