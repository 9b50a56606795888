"""Defence in depth for a public server (issue 13).

- bertviz draws in a real sandbox: a script in its frame cannot read the app's page or cookies.
- deploy/'s nginx sends a Content-Security-Policy and frame, type and referrer headers on every
  answer, and the whole app draws under them in Chromium with no violation; Kubernetes carries
  the same values; a request for an unknown host name is refused.
- Long links: up to 32 KB they reach the app (which shows its own notice); past that nginx
  answers with a page that says what to do.
- A server that confines local model folders answers every refused folder the same way, so a
  visitor cannot probe which folders exist (the real loader, and the app via a ?model= link).

The browser tests run the real deploy/start.sh (one replica behind Debian's nginx) and Chromium.
"""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from bench.replicas import stack
from headscope import bertviz_views, models
from headscope.errors import ModelError
from headscope.policy import Policy
from tests import support
from tests.support import ROOT, linked_app, texts
from tests.test_deploy import last_upstream, with_nginx

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")
WAIT_MS = 240_000  # two cores shared with other test runs


def template_headers() -> dict[str, str]:
    """The security headers deploy/nginx.conf.template sends, by name: the one place they are written."""
    found = dict(re.findall(r'^\s*add_header ([\w-]+) "([^"]*)" always;$', TEMPLATE.read_text(), re.M))
    return {name: found[name] for name in SECURITY_HEADERS}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """deploy/start.sh with one replica (default server names: the loopback ones)."""
    with stack(replicas=1, run_dir=tmp_path_factory.mktemp("security-run")) as running:
        yield running


def request(url: str, path: str, headers: dict[str, str] | None = None):
    """(status, headers, body) of one GET, the request line and headers sent exactly as given."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in (headers if headers is not None else {"Host": parts.netloc}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


# --- headers, host names, long links: real nginx -------------------------------------------


@pytest.mark.browser
@with_nginx
def test_security_headers_on_every_answer(served):
    expected = template_headers()
    answers = {
        "page": request(served.url, "/"),
        "health": request(served.url, "/_stcore/health"),
        "vendored script": request(served.url, "/app/static/vendor/require.js"),
        "unknown host": request(served.url, "/", {"Host": "evil.example"}),
        "long link": request(served.url, "/?text=" + "x" * 100_000),
    }
    assert answers["page"][0] == 200 and "<html" in answers["page"][2].lower()
    for what, (_status, headers, _) in answers.items():
        assert {name: headers[name] for name in SECURITY_HEADERS} == expected, what
    csp = expected["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


@pytest.mark.browser
@with_nginx
def test_an_unknown_host_name_is_refused(served):
    port = urlsplit(served.url).port
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.2", "localhost.evil.example"):
        status, _, body = request(served.url, "/", {"Host": host})
        assert (status, body) == (421, "This server does not answer for that host name.\n"), host
    with socket.create_connection((urlsplit(served.url).hostname, port), timeout=60) as sock:  # no Host at all
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert sock.makefile("rb").readline().split()[1] == b"421"
    assert request(served.url, "/", {})[0] == 400  # HTTP/1.1 must name a host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert request(served.url, "/_stcore/health", {"Host": host})[:3:2] == (200, "ok"), host
    # the replicas check it too, on their websockets (Streamlit's server.allowedHosts)
    replica = f"http://127.0.0.1:{served.ports[0]}"
    upgrade = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert (
        request(replica, "/_stcore/stream", {"Host": "evil.example", "Origin": "http://evil.example", **upgrade})[0]
        != 101
    )
    assert request(replica, "/_stcore/stream", {"Host": f"127.0.0.1:{served.ports[0]}", **upgrade})[0] == 101


@pytest.mark.browser
@with_nginx
def test_long_links_reach_the_app_up_to_32_kb_then_get_a_page_that_says_what_to_do(served):
    # 20 KB: nginx reads it and the app answers (its page then reads the text from the address
    # bar and shows its own notice: test_a_long_link_gets_the_apps_notice_in_chromium)
    status, headers, body = request(served.url, "/?" + urlencode({"text": "x" * 20_001}))
    assert status == 200 and "<html" in body.lower()
    assert last_upstream(headers["X-Headscope-Upstream"]) == served.upstream(0)  # Streamlit's answer
    # 15,001 Chinese characters: 135 KB; and a 100 KB link of ASCII
    for link in ("/?" + urlencode({"text": "\u4e2d" * 15_001}), "/?text=" + "x" * 100_000):
        status, headers, body = request(served.url, link)
        assert status == 414, len(link)
        assert headers["Content-Type"].startswith("text/html")
        assert "This link is too long to open" in body and "paste the text" in body and 'href="/"' in body
        assert "<script" not in body and "http" not in body.split("<body>")[1]  # self-contained
    # a header over 32 KB (a long link in a Referer, say): the same page, status 400
    status, _, body = request(served.url, "/", {"Host": urlsplit(served.url).netloc, "X-Long": "y" * 40_000})
    assert status == 400 and "This link is too long to open" in body


@pytest.mark.parametrize("names", ["evil;} server {", "a b$c", "-x", "*"])
def test_start_refuses_a_server_name_that_is_not_a_host_name(tmp_path, names):
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "start.sh"), "--server-name", names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "is not a host name" in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())  # nothing ran, nothing was made


def test_kubernetes_sends_the_same_headers_and_answers_only_its_host_name():
    """deploy/kubernetes.yaml: the template's header values, in a ConfigMap the Ingress sends."""
    import yaml

    docs = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())}
    assert docs["ConfigMap"]["data"] == template_headers()
    ingress = docs["Ingress"]
    namespace, name = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/custom-headers"].split("/")
    assert name == docs["ConfigMap"]["metadata"]["name"]
    [rule] = ingress["spec"]["rules"]
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert rule["host"] and env["STREAMLIT_SERVER_ALLOWED_HOSTS"] == rule["host"]
    header = (ROOT / "deploy" / "kubernetes.yaml").read_text().split("apiVersion:")[0]
    assert (
        'large-client-header-buffers: "4 32k"' in header
        and "large_client_header_buffers 4 32k;" in TEMPLATE.read_text()
    )


# --- Content-Security-Policy: what it allows, and the whole app under it in Chromium --------


def test_the_csp_allows_exactly_the_inline_scripts_the_app_runs():
    """Streamlit's one inline script in index.html and bertviz's two, by hash: no 'unsafe-inline'.

    Fails after an upgrade of Streamlit or bertviz that changes them: update the hashes in
    deploy/nginx.conf.template (the test prints the ones needed).
    """
    import base64
    import hashlib

    import streamlit

    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", index, re.S)
    needed = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    needed |= {bertviz_views.script_hash(view) for view in ("head", "model")}
    script_src = re.search(r"script-src ([^;]*)", template_headers()["Content-Security-Policy"]).group(1).split()
    assert set(s for s in script_src if s.startswith("'sha256-")) == needed, sorted(needed)
    assert set(script_src) - needed == {"'self'", "blob:", "'wasm-unsafe-eval'"}  # no 'unsafe-inline', no 'unsafe-eval'


CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI} in ${location.href.slice(0, 60)}`);
});
"""
"""Runs first in every document of the context (the page and every frame): violations go to the console."""


@pytest.fixture
def csp_page(browser):
    """A page whose CSP violations, console errors and page errors (its frames' too) are recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text)
        if m.type == "error" and ("Content Security Policy" in m.text or "CSP violation" in m.text)
        else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems
    yield page
    context.close()


def wait_drawn(page, count: int) -> None:
    """support.wait_heatmaps without page.wait_for_function, which evaluates a string (eval) and
    so is refused by the CSP under test: locators and Runtime.evaluate are not subject to it."""
    page.locator(support.HEATMAP).nth(count - 1).wait_for(timeout=WAIT_MS)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=WAIT_MS)
    assert page.locator(support.HEATMAP).count() == count


def _frame_texts(page) -> list[str]:
    frame = page.frame_locator("iframe").first
    frame.locator("svg text").first.wait_for(timeout=WAIT_MS)
    return frame.locator("svg text").evaluate_all("els => els.map(e => e.textContent)")


@pytest.mark.browser
@with_nginx
def test_the_whole_app_draws_under_the_csp_with_no_violation(served, csp_page):
    page = csp_page
    response = page.goto(f"{served.url}/?text=The+black+cat+sat+on+the+mat.")
    assert response.headers["content-security-policy"] == template_headers()["Content-Security-Policy"]
    wait_drawn(page, 12)  # the Heads page: canvas grid (components v2, blob: module)
    assert "black" in support.x_tick_labels(page)
    with page.expect_download(timeout=60_000) as png:
        page.get_by_role("button", name="Download PNG").click()
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    page.get_by_text("All layers at once").click()  # all 72 heads, then one opened large (zoomable)
    wait_drawn(page, 72)
    page.locator("canvas.hs-cells").nth(3 * 12 + 5).click(position={"x": 30, "y": 20})
    page.get_by_role("heading", name="L3H5").wait_for(timeout=WAIT_MS)
    wait_drawn(page, 73)
    with page.expect_download(timeout=60_000) as svg:
        page.locator(support.LARGE_HEAD).get_by_role("button", name="Download SVG").click()
    assert "L3H5" in open(svg.value.path(), encoding="utf-8").read()

    page.goto(f"{served.url}/syntax")  # the best heads' grid and the arc diagram (its own component)
    wait_drawn(page, 4)
    assert page.get_by_role("heading", name=re.compile(r"^nsubj: subject")).count() == 1
    arcs = page.locator(".hs-arcs[data-drawn]")
    arcs.wait_for(timeout=WAIT_MS)
    with page.expect_download(timeout=60_000) as png:
        arcs.get_by_role("button", name="Download PNG").click()
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    for view in ("head", "model"):  # bertviz in its sandboxed frame: vendored scripts, inline script by hash
        page.goto(f"{served.url}/bertviz?bview={view}")
        texts = _frame_texts(page)
        assert ("black" in texts) if view == "head" else ("Layers" in texts), texts[:20]
    page.wait_for_timeout(1000)  # a late violation report still arrives
    assert page.problems == []


@pytest.mark.browser
@with_nginx
def test_a_script_in_the_bertviz_frame_cannot_reach_the_app(served, csp_page):
    page = csp_page
    for view in ("head", "model"):
        page.goto(f"{served.url}/bertviz?bview={view}")
        texts = _frame_texts(page)  # what a person sees: bertviz's tokens, drawn inside the frame
        assert (texts.count("[CLS]") == 2 and "black" in texts) if view == "head" else ("Heads" in texts), texts[:20]
        assert "_streamlit_xsrf" in page.evaluate("document.cookie")  # the app's page can read it...
        frame = page.locator("iframe").first.element_handle().content_frame()
        reach = frame.evaluate("""() => {
            const attempt = (f) => { try { return String(f()); } catch (e) { return 'refused: ' + e.name; } };
            return {
                parent: attempt(() => window.parent.document.cookie),
                top: attempt(() => window.top.document.title),
                cookie: attempt(() => document.cookie),
                storage: attempt(() => window.localStorage.length),
                origin: self.origin,
            };
        }""")
        # ...a script in the frame cannot: not the app's page, not its cookies, not its storage
        assert reach == {
            "parent": "refused: SecurityError",
            "top": "refused: SecurityError",
            "cookie": "refused: SecurityError",
            "storage": "refused: SecurityError",
            "origin": "null",
        }, reach
    assert page.problems == []


@pytest.mark.browser
@with_nginx
def test_a_long_link_gets_the_apps_notice_in_chromium(served, csp_page):
    page = csp_page
    page.goto(f"{served.url}/?" + urlencode({"text": "x" * 20_001}))  # a 20 KB link
    page.get_by_text(re.compile(r"longer than 20,000 characters")).wait_for(timeout=WAIT_MS)
    wait_drawn(page, 12)  # and the page works, on the default sentence
    page.goto(f"{served.url}/?" + urlencode({"text": "\u4e2d" * 15_001}))  # 135 KB
    page.get_by_role("heading", name="This link is too long to open").wait_for(timeout=60_000)
    page.get_by_role("link", name="open Headscope").click()
    wait_drawn(page, 12)
    assert page.problems == []


# --- local folders under a confining policy --------------------------------------------------


@pytest.fixture
def root_with_models(tmp_path, tiny_folders):
    """A model root holding one good model, an empty folder and a stray file; and things outside it."""
    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(tiny_folders["bert"], root / "good")
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("not a model")
    outside = tmp_path / "outside"
    shutil.copytree(tiny_folders["bert"], outside / "model")  # a real model, but outside the root
    (root / "link-out").symlink_to(outside / "model")
    return root, outside


def refused_folders(root, outside) -> list[str]:
    """Folders a visitor might try: existing or not, inside or outside the root, with or without config.json."""
    return [
        "/root",
        "/root/.ssh",
        "/etc",
        "/etc/passwd",
        "/no/such/folder",
        "~",
        "~nosuchuser-xyz",
        "/tmp/a\0b",
        str(root),
        str(root / "empty"),
        str(root / "notes.txt"),
        str(root / "missing"),
        f"{root}/../outside/model",
        str(root / "link-out"),
        str(outside),
        str(outside / "model"),
        str(outside / "missing"),
        f"{root}/good/../../outside",
    ]


def _error(call, *args) -> str:
    with pytest.raises(ModelError) as info:
        call(*args)
    return str(info.value)


def test_a_confining_root_answers_every_refused_folder_the_same(root_with_models):
    root, outside = root_with_models
    policy = Policy(local_root=str(root))
    answers = {}
    for folder in refused_folders(root, outside):
        for call in (models.resolve, models.inspect, models.load):
            answers[folder, call.__name__] = _error(call, folder, policy)
    assert set(answers.values()) == {policy.no_such_folder()}, answers
    assert f"must be inside {root}" in policy.no_such_folder()
    # and the folder it offers loads
    assert models.load(str(root / "good"), policy).num_layers >= 1


def test_without_a_root_a_laptop_user_still_hears_what_is_wrong(root_with_models):
    root, outside = root_with_models
    assert "there is no folder" in _error(models.resolve, str(root / "missing"), Policy())
    assert "has no config.json" in _error(models.resolve, str(root / "empty"), Policy())
    assert "there is no folder" in _error(models.resolve, "~nosuchuser-xyz", Policy())  # not a RuntimeError


def test_an_allow_list_answers_every_refused_folder_the_same(root_with_models):
    root, outside = root_with_models
    policy = Policy(allowed=("gpt2", str(root / "good")))
    answers = {
        _error(models.load, folder, policy).replace(repr(folder), "X") for folder in refused_folders(root, outside)
    }
    assert answers == {"X is not on this server's list of allowed models: gpt2, " + str(root / "good")}


def test_a_link_naming_a_folder_gets_the_same_notice_whether_it_exists_or_not(fresh_policy, root_with_models):
    root, _ = root_with_models
    fresh_policy.setenv("HEADSCOPE_ALLOW_LOCAL", "1")
    fresh_policy.setenv("HEADSCOPE_LOCAL_ROOT", str(root))
    notices = {}
    for folder in ("/root", "/root/.ssh", str(root / "empty"), str(root / "missing")):
        app = linked_app({"model": folder})
        notices[folder] = texts(app.sidebar.error)
    assert len({tuple(n) for n in notices.values()}) == 1, notices
    [notice] = notices["/root"]
    assert "no model folder by that name" in notice and "Showing the bundled model instead" in notice
