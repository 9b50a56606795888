"""Issue 7's classroom load against N replicas behind nginx (deploy/start.sh), not one process.

`run()` starts the real deploy/start.sh on free loopback ports, points bench/load.py's
websocket-level users at nginx, and stops everything after. Each simulated page view is a new
websocket without the route cookie, so nginx spreads the views over the replicas as it spreads
new visitors. `stack()` is the same start-up, shared with tests/test_deploy.py.

    .venv/bin/python bench/replicas.py [USERS]    # prints one JSON document
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / "deploy" / "start.sh"
sys.path.insert(0, str(ROOT))


@dataclasses.dataclass
class Stack:
    """A running deploy/start.sh: nginx's URL, the run dir, and each replica's pid and port."""

    url: str
    run_dir: Path
    proc: subprocess.Popen
    pids: list[int]
    ports: list[int]
    log: Path

    def upstream(self, index: int) -> str:
        """The address nginx reports in X-Headscope-Upstream for replica `index`."""
        return f"127.0.0.1:{self.ports[index]}"

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM the script (it stops nginx and the replicas); its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@contextlib.contextmanager
def stack(replicas: int = 2, timeout: float = 300.0, run_dir: Path | None = None):
    """Start deploy/start.sh with `replicas` replicas on free loopback ports; yield a Stack."""
    with contextlib.ExitStack() as cleanup:
        if run_dir is None:
            run_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="headscope-stack-")))
        log = run_dir.parent / f"{run_dir.name}.start.log"
        env = dict(
            os.environ,
            HEADSCOPE_PORT="0",
            HEADSCOPE_REPLICA_PORT="0",
            HEADSCOPE_RUN_DIR=str(run_dir),
            HEADSCOPE_PYTHON=sys.executable,
            HEADSCOPE_HEALTH_TIMEOUT=str(int(timeout)),
            HF_HUB_OFFLINE="1",
        )
        with open(log, "wb") as out:
            # its own process group: a failed test can still kill everything it started
            proc = subprocess.Popen(
                ["bash", str(START), str(replicas)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Stack("", run_dir, proc, [], [], log)
        try:
            url_file = run_dir / "url"
            deadline = time.monotonic() + timeout + 30
            while not url_file.exists():
                if proc.poll() is not None:
                    raise RuntimeError(f"deploy/start.sh exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"deploy/start.sh not ready in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.25)
            started.url = url_file.read_text().strip()
            started.pids = [int((run_dir / f"replica-{i}.pid").read_text()) for i in range(replicas)]
            started.ports = [int((run_dir / f"replica-{i}.port").read_text()) for i in range(replicas)]
            yield started
        finally:
            started.stop()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything the script failed to stop
            with contextlib.suppress(OSError):
                log.unlink()


def run(users: int = 30, replicas: int = 2) -> dict:
    """bench/load.py's classroom figures through nginx in front of `replicas` replicas."""
    import asyncio
    from urllib.parse import urlencode

    from bench import load

    with stack(replicas) as running:
        # load.run warms one server through nginx, i.e. one replica: warm each one directly,
        # so no replica loads its model or draws its first figure inside the measurement
        for port in running.ports:
            asyncio.run(load.page_view(f"http://127.0.0.1:{port}", urlencode({"all": "1"})))
        result = load.run(running.url, users)
    return {"replicas": replicas, "cores": os.cpu_count(), **result}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 30), indent=2))
