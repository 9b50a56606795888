"""deploy/start.sh for real on loopback: two `streamlit run` replicas behind Debian's nginx.

Sticky sessions by nginx's route cookie, new visitors spread over the replicas, and issue 8's
replica kill: users on the survivor are unaffected, users on the killed replica reconnect to
the survivor (Streamlit's own websocket reconnect, nginx's passive failover) and get their page
back. Needs nginx (`apt-get install -y --no-install-recommends nginx`) and Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from bench import load
from bench.replicas import stack
from tests import support

ROOT = Path(__file__).resolve().parent.parent
# the tests that start deploy/start.sh: real replicas (hence `browser`, as the other tests that
# run `streamlit run`) and Debian's nginx
with_nginx = pytest.mark.skipif(
    not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="nginx is not installed (make nginx)"
)

SENTENCE = "Seven quiet owls watched the old barn."


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("deploy-run")
    with stack(replicas=2, run_dir=run_dir) as running:
        yield running


def get(url: str, route: str | None = None) -> tuple[int, str, str | None, str]:
    """(status, the upstream that answered, the route cookie set, body) of one GET through nginx."""
    request = urllib.request.Request(url, headers={"Cookie": f"hsroute={route}"} if route else {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        cookies = [c for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith("hsroute=")]
        route_set = cookies[0].split(";")[0].split("=", 1)[1] if cookies else None
        return resp.status, last_upstream(resp.headers["X-Headscope-Upstream"]), route_set, resp.read().decode()


def last_upstream(header: str) -> str:
    """X-Headscope-Upstream lists every replica tried (after a failover); the last one answered."""
    return header.split(",")[-1].strip()


@pytest.mark.browser
@with_nginx
def test_routes_stick_by_cookie_and_new_visitors_spread(deployed):
    replicas = {deployed.upstream(0), deployed.upstream(1)}
    status, upstream, route, body = get(f"{deployed.url}/_stcore/health")
    assert (status, body) == (200, "ok")
    assert upstream in replicas
    assert route and len(route) == 32, "nginx sets the route cookie on a visitor's first response"
    # the same cookie always reaches the same replica, and nginx hands it back unchanged
    answers = {get(f"{deployed.url}/_stcore/health", route)[1:3] for _ in range(10)}
    assert answers == {(upstream, route)}

    # 20 new visitors (no cookie) land on both replicas; each one's cookie then keeps it there
    first_visits = [get(f"{deployed.url}/") for _ in range(20)]
    assert {up for _, up, _, _ in first_visits} == replicas
    for _, up, new_route, page in first_visits:
        assert "<html" in page.lower()
        assert get(f"{deployed.url}/_stcore/health", new_route)[1] == up

    # one shared cookie secret (Streamlit signs its XSRF cookie with it)
    secrets = {
        next(
            v
            for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            if v.startswith(b"STREAMLIT_SERVER_COOKIE_SECRET=")
        )
        for pid in deployed.pids
    }
    assert len(secrets) == 1 and len(secrets.pop()) > len("STREAMLIT_SERVER_COOKIE_SECRET=") + 16

    # the websocket goes through nginx too (bench/load.py's client: Origin = the nginx URL)
    seconds, received, ok = asyncio.run(load.page_view(deployed.url, "text=Dogs+chase+squirrels."))
    assert ok and received > 10_000


def _context_on(browser, url: str, upstream: str, tries: int = 30):
    """A new browser context whose route cookie maps to `upstream`: (context, page)."""
    for _ in range(tries):
        # bypass_csp: support's waits use page.wait_for_function, which evaluates a string, and
        # nginx's CSP refuses eval; the app under that CSP is tested in tests/test_security.py
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
        page = context.new_page()
        response = page.goto(f"{url}/?text={SENTENCE.replace(' ', '+')}")
        if last_upstream(response.headers["x-headscope-upstream"]) == upstream:
            return context, page
        context.close()
    raise AssertionError(f"no new visitor in {tries} landed on {upstream}")


def _pump_until(page, condition, timeout_s: float, what: str) -> None:
    """Let Playwright deliver events (websockets, frames) until condition() holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        page.wait_for_timeout(200)


def _script_runs(page) -> list[str]:
    """From now on: "connected" for each websocket the page opens, then how its script runs end."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def finished(msg):
        if msg.WhichOneof("type") == "script_finished":
            return ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
        return None

    return support.websocket_log(page, finished)


@pytest.mark.browser
@with_nginx
def test_killing_a_replica_moves_its_users_to_the_survivor(deployed, tmp_path):
    with support.chromium() as browser:
        ctx_a, a = _context_on(browser, deployed.url, deployed.upstream(0))
        ctx_b, b = _context_on(browser, deployed.url, deployed.upstream(1))
        ctx_c, c = _context_on(browser, deployed.url, deployed.upstream(0))  # a second user on A's replica
        for page in (a, b, c):
            support.wait_heatmaps(page, 12)
            assert "owls" in support.x_tick_labels(page)
            page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        errors: list[str] = []
        for page in (a, b, c):
            page.on("pageerror", lambda exc: errors.append(str(exc)))
        runs_a, runs_b, runs_c = _script_runs(a), _script_runs(b), _script_runs(c)

        os.kill(deployed.pids[0], signal.SIGKILL)  # user A's replica

        # B, on the survivor, carries on: same websocket, a new sentence, new heatmaps
        support.type_sentence(b, "Dogs chase squirrels.")
        support.wait_x_label(b, "squirrels", 12)
        support.wait_heatmaps(b, 12)
        assert runs_b == [], "B's websocket was not interrupted (no new one opened)"

        # A: Streamlit's frontend reconnects its websocket by itself, without a reload; nginx
        # sends the route of the dead replica to the survivor
        _pump_until(a, lambda: "connected" in runs_a, 60, "user A's websocket to reconnect")
        assert a.evaluate("window.__sameDocument === true"), "the page was not reloaded"
        health = ctx_a.request.get(f"{deployed.url}/_stcore/health")
        assert health.ok and last_upstream(health.headers["x-headscope-upstream"]) == deployed.upstream(1)
        # While idle, the reconnected frontend does not rerun the script: the page keeps
        # showing A's heatmaps, and the next run (any interaction; here Streamlit's "r"
        # shortcut) runs on the survivor in a new session built from the page's URL.
        assert len(a.query_selector_all(support.HEATMAP)) == 12
        assert "owls" in support.x_tick_labels(a)
        a.locator("body").press("r")
        _pump_until(a, lambda: "FINISHED_SUCCESSFULLY" in runs_a, 90, "A's script run on the survivor")
        support.wait_heatmaps(a, 12)
        assert "owls" in support.x_tick_labels(a), "A got the page of the same sentence back"
        assert SENTENCE.split()[0] in a.get_by_role("textbox", name="Sentence").input_value()
        a.screenshot(path=str(tmp_path / "user-a-after-failover.png"))

        # and A can go on working there
        support.type_sentence(a, "Cats ignore everyone.")
        support.wait_x_label(a, "ignore", 12)
        support.wait_heatmaps(a, 12)

        # C's first action after the failover is a new sentence: the new session starts from
        # the values on screen, not from the (older) link in the URL (components/links.py)
        _pump_until(c, lambda: "connected" in runs_c, 60, "user C's websocket to reconnect")
        support.type_sentence(c, "Bees visit bright flowers.")
        support.wait_x_label(c, "bees", 12)
        assert c.get_by_role("textbox", name="Sentence").input_value() == "Bees visit bright flowers."
        assert errors == []
        for context in (ctx_a, ctx_b, ctx_c):
            context.close()


@pytest.mark.browser
@with_nginx
def test_sigterm_stops_nginx_and_every_replica(deployed):
    status = deployed.stop()
    assert status == 143, f"deploy/start.sh exited with {status}"
    for pid in deployed.pids:
        status_file = Path(f"/proc/{pid}/status")  # gone, or a zombie waiting for its reaper
        assert not status_file.exists() or "\nState:\tZ" in status_file.read_text()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{deployed.url}/_stcore/health", timeout=5)
    assert not (deployed.run_dir / "url").exists()


def test_kubernetes_manifest():
    """deploy/kubernetes.yaml parses, and keeps what a classroom needs (PyYAML: transformers')."""
    import yaml

    docs = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())}
    assert set(docs) == {"Deployment", "Service", "ConfigMap", "Ingress"}  # the ConfigMap: tests/test_security.py
    deployment = docs["Deployment"]["spec"]
    assert deployment["replicas"] == 2
    container = deployment["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8501
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    secret = {e["name"]: e for e in container["env"]}["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert "secretKeyRef" in secret["valueFrom"]
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert docs["Service"]["spec"]["sessionAffinity"] == "ClientIP"
    annotations = docs["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # uploads: the proxies allow what Streamlit's own cap allows, not its 200 MB default
    upload_mb = int(
        re.search(r"^maxUploadSize = (\d+)$", (ROOT / ".streamlit" / "config.toml").read_text(), re.M).group(1)
    )
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{upload_mb + 1}m"
    assert f"client_max_body_size {upload_mb + 1}m;" in (ROOT / "deploy" / "nginx.conf.template").read_text()


@pytest.mark.parametrize(
    "args, env, said",
    [
        (["-p", "abc"], {}, "the port must be a number, got 'abc'"),
        (["--replica-port", "1x"], {}, "the replica port must be a number"),
        (["-p", "8502"], {}, "nginx's port 8502 is one of the replicas' (8501-8502)"),
        ([], {"HEADSCOPE_HEALTH_TIMEOUT": "a[$(touch pwned)]"}, "the health timeout must be a number"),
        (["0"], {}, "replicas must be a number >= 1"),
    ],
)
def test_start_refuses_bad_settings_before_starting_anything(tmp_path, args, env, said):
    import subprocess

    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "start.sh"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert not (tmp_path / "pwned").exists() and not list(tmp_path.iterdir())  # nothing ran, nothing was made
