"""A real Streamlit server and a real Chromium, for browser tests, benchmarks and screenshots.

Run as a script to make the README's screenshot: `python tests/support.py screenshot docs/heads.png`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("HEADSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until Streamlit answers its health check, or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"streamlit did not become healthy at {url} in {timeout:.0f} s")


@contextlib.contextmanager
def streamlit_server(log_path: Path | None = None, extra_args: list[str] | None = None, script: Path | None = None):
    """Start `streamlit run app.py` (or another script) on a free loopback port; yield its URL; stop it after."""
    port = free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script or ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *(extra_args or []),
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log_path:
            log.close()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, driven by Playwright; yields the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


HEATMAP = "canvas.hs-cells"  # every matrix: the canvas grid (static/headscope/heatmap_grid.js), a canvas a panel
GRID = ".hs-grid"  # one grid (its data-drawn attribute: how many panels it drew); a row of them is one component
GRID_TITLES = ".hs-grid .hs-name"  # the names in the canvas grids' panel titles (L2H0...; the badge is apart)
PLOTLY_HEATMAPS = "g.hm, .heatmaplayer"  # a plotly heatmap trace (plotly is left for bars and the arc diagram)


def wait_heatmaps(page, count: int, timeout_ms: int = 90_000) -> None:
    """Wait until exactly `count` heatmaps are drawn and Streamlit has finished running."""
    page.wait_for_function(f"document.querySelectorAll('{HEATMAP}').length === {count}", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def wait_idle(page, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit's script run is over (its status widget says nothing is running)."""
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def websocket_log(page, pick) -> list:
    """From now on: "connected" for each websocket the page opens, then pick(message) for each
    message Streamlit's server sends on it (a ForwardMsg); a pick of None is left out."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    log: list = []

    def on_frame(payload) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            value = pick(msg)
            if value is not None:
                log.append(value)

    def on_websocket(ws) -> None:
        log.append("connected")
        ws.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    return log


def grid_cell_point(page, panel: int, row: int, col: int) -> tuple[float, float]:
    """Page coordinates of the centre of cell (row, col) of the `panel`-th canvas of the grids on the page.

    The canvas holds one pixel a (pooled) cell, so its width and height are the columns and
    rows it shows: the component's own data, whatever size the page draws it at.
    """
    canvas = page.locator(HEATMAP).nth(panel)
    canvas.scroll_into_view_if_needed()
    rows, cols = canvas.evaluate("c => [c.height, c.width]")
    box = canvas.bounding_box()
    return box["x"] + box["width"] * (col + 0.5) / cols, box["y"] + box["height"] * (row + 0.5) / rows


def hover_grid_cell(page, panel: int, row: int, col: int, size: int | None = None, timeout_ms: int = 10_000) -> str:
    """The hover text over cell (row, col) of a canvas grid's panel (`size`: its rows, checked if given)."""
    if size is not None:
        assert page.locator(HEATMAP).nth(panel).evaluate("c => c.height") == size
    page.mouse.move(*grid_cell_point(page, panel, row, col))
    grid = (
        page.locator(HEATMAP).nth(panel).locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' hs-grid ')]")
    )
    tip = grid.locator(".hs-tip")  # that grid's own
    tip.wait_for(state="visible", timeout=timeout_ms)
    return tip.text_content()


def click_grid_cell(page, panel: int, row: int, col: int) -> None:
    """Click cell (row, col) of the `panel`-th canvas (a layer x head grid: that head)."""
    page.mouse.click(*grid_cell_point(page, panel, row, col))


def grid_labels(page, scope: str = GRID, timeout_ms: int = 90_000) -> list[str]:
    """The row and column tick labels of the grids `scope` selects, once some are drawn."""
    return wait_texts(page, f"{scope} >> .hs-xlabel, .hs-ylabel", bool, f"the labels of {scope}", timeout_ms)


LARGE_HEAD = f"{GRID}[data-drawn='1']:has(canvas.hs-cells[data-layer])"
"""A grid of one head (a head opened large); a layer x head grid's cells are heads, its panel is not."""


def large_head_names(page, timeout_ms: int = 90_000, ready=bool) -> list[str]:
    """The names of the heads drawn alone in a grid (a head opened large), once `ready(names)`."""
    return wait_texts(page, f"{LARGE_HEAD} .hs-name", ready, "the large head's name", timeout_ms)


def deltas_by_container(page) -> list:
    """From now on: the root container (0 main, 1 sidebar) of every element the server sends.

    A fragment's rerun sends no sidebar element; a whole run does (the sidebar is drawn by app.py).
    """
    return websocket_log(
        page, lambda m: m.metadata.delta_path[0] if m.WhichOneof("type") == "delta" and m.metadata.delta_path else None
    )


X_TICK_LABELS = ".hs-grid .hs-xlabel"


def x_tick_labels(page, timeout_ms: int = 90_000) -> list[str]:
    """The x-axis tick labels of every grid on the page, in order, once some are drawn."""
    return wait_texts(page, X_TICK_LABELS, bool, "x-axis tick labels", timeout_ms)


def wait_x_label(page, label: str, count: int, timeout_ms: int = 90_000) -> None:
    """Wait until exactly `count` x-axis tick labels read `label` (one a head, after a new sentence)."""
    page.wait_for_function(
        f"[...document.querySelectorAll('{X_TICK_LABELS}')].filter(t => t.textContent === {label!r}).length === {count}",
        timeout=timeout_ms,
    )


def svg_texts(page, selector: str) -> list[str]:
    """The text content of SVG elements (Playwright's inner_text is empty for SVG)."""
    return page.locator(selector).evaluate_all("els => els.map(e => e.textContent)")


def wait_texts(page, selector: str, ready, what: str, timeout_ms: int = 90_000) -> list[str]:
    """The texts of the elements `selector` matches (see svg_texts), once `ready(texts)` holds.

    Each chart draws on its own schedule: the heatmaps being there (`wait_heatmaps`) or
    Streamlit being idle says nothing about another chart's words, or about a chart that is
    being replaced. Read what a person will see once it is there; fail naming `what` and
    the texts last read. `page` may be a page, a frame or a frame locator. A frame that
    loads a new page meanwhile (bertviz's, when a rerun hands it a new view) is read again.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            texts = page.locator(selector).evaluate_all("els => els.map(e => e.textContent)")
        except PlaywrightError as exc:  # "Execution context was destroyed": the frame navigated
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            texts = []
        if ready(texts):
            return texts
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what} not drawn within {timeout_ms / 1000:.0f} s; "
                f"{selector!r} read {len(texts)} texts: {texts[:30]!r}"
            )
        time.sleep(0.2)


def type_sentence(page, text: str) -> None:
    """Replace the sidebar's sentence and submit it the way a user does (Ctrl+Enter)."""
    box = page.get_by_role("textbox", name="Sentence")
    box.fill(text)
    box.press("Control+Enter")


def screenshot_heads(page, url: str, path: Path) -> None:
    """Open the Heads page and save a screenshot of it (the README's picture)."""
    page.set_viewport_size({"width": 1400, "height": 1050})
    page.goto(url)
    wait_heatmaps(page, 12)
    page.screenshot(path=str(path))


# --- the app under AppTest, and the command line --------------------------------------------

APPTEST_TIMEOUT = 180


def run_app(script: str = "../app.py", **state):
    """A fresh AppTest run of the app with the given session state, as a user who set it would see.

    The path is relative to the tests folder (AppTest.from_file resolves it from its caller).
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(script, default_timeout=APPTEST_TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def on_page(page: str, **state):
    """`run_app`, then a switch to another page of the app (e.g. "pages/syntax.py")."""
    at = run_app(**state)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def linked_app(params: dict[str, str], page: str | None = None):
    """The app opened from a shared link with these query parameters (then, optionally, another page)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=APPTEST_TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def component_data(element) -> dict:
    """What a components-v2 element of an AppTest run was given: our served components' data travels as
    JSON bytes (components/charts.py, `encoded`), a component of Streamlit's own making as JSON."""
    import json

    return json.loads(element.proto.bytes or element.proto.json)


def components_data(at, name: str) -> list[dict]:
    """The data of every element of one component (its name, e.g. headscope_heatmap_grid) an AppTest run drew."""
    return [component_data(e) for e in at.get("bidi_component") if e.proto.component_name == name]


def app_figures(at) -> list[dict]:
    """The plotly figures an AppTest run drew (components/plotly_chart.py, else Streamlit's element), as JSON."""
    import json

    ours = [json.loads(data["figure"]) for data in components_data(at, "headscope_plotly_chart")]
    return ours + [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def app_grids(at) -> list[dict]:
    """The canvas heatmap grids (static/headscope/heatmap_grid.js) an AppTest run drew, as the data sent,
    in page order: the grids of a row (components/heatmaps.py, `row`) one by one."""
    out = []
    for data in components_data(at, "headscope_heatmap_grid"):
        out.extend(data["row"] if "row" in data else [data])
    return out


def app_tables(at) -> list:
    """The Markdown tables (components/tables.py) an AppTest run drew, in order, read back as DataFrames:
    cells unescaped, a column of numbers as numbers."""
    import re

    import pandas as pd

    def cells(line: str) -> list[str]:
        parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        return [re.sub(r"\\(.)", r"\1", p.strip()) for p in parts]

    frames = []
    for element in at.markdown:
        lines = element.value.splitlines()
        if len(lines) < 2 or not re.fullmatch(r"\|(?:-+:?\|)+", lines[1]):
            continue
        frame = pd.DataFrame([cells(line) for line in lines[2:]], columns=cells(lines[0]))
        for column in frame.columns:
            numbers = pd.to_numeric(frame[column], errors="coerce")
            if numbers.notna().all():
                frame[column] = numbers
        frames.append(frame)
    return frames


def app_arcs(at) -> list[dict]:
    """The arc diagrams (static/headscope/arc_diagram.js) an AppTest run drew, as the data sent."""
    return components_data(at, "headscope_arc_diagram")


def heads_drawn(at) -> int:
    """Heads a run drew: heatmap traces of plotly figures plus panels of canvas grids."""
    return count_traces(at, "heatmap") + sum(len(g["panels"]) for g in app_grids(at))


def count_traces(at, trace_type: str) -> int:
    """How many traces of a type (heatmap, image, scatter) the run's figures hold."""
    return sum(1 for fig in app_figures(at) for t in fig["data"] if t["type"] == trace_type)


def texts(elements) -> list[str]:
    """Messages as the user reads them (user text in them is backslash-escaped markdown)."""
    import re

    return [re.sub(r"\\(.)", r"\1", e.value) for e in elements]


POSTGRES_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
"""Debian's PostgreSQL server programs (package postgresql), newest version last."""


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program (initdb, pg_ctl): Debian's newest, else on PATH, else None."""
    return str(POSTGRES_BINS[-1].parent / name) if POSTGRES_BINS else shutil.which(name)


@contextlib.contextmanager
def postgres_server():
    """A throwaway PostgreSQL server on a free loopback port (initdb + pg_ctl in a temporary folder, trust
    authentication, fsync off); yields the URL of its `postgres` database; stops it and deletes the folder after.

    initdb refuses to run as root: as root the server runs as Debian's `postgres` user (runuser)."""
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="headscope-pg-"))
    data, port = folder / "data", free_port()
    if as_user:
        shutil.chown(folder, "postgres")
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)  # noqa: E731
    try:
        run(postgres_bin("initdb"), "-D", str(data), "-U", "headscope", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(
            postgres_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(folder / "log"), "-o", options
        )
        try:
            yield f"postgresql://headscope@127.0.0.1:{port}/postgres"
        finally:
            run(postgres_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def headscope(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python -m headscope ...` in a subprocess, with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "headscope", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
    )


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """Assert the CLI failed as its contract says: exit 2, nothing on stdout, one line on stderr."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("headscope: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "screenshot":
        sys.exit("usage: python tests/support.py screenshot OUT.png")
    with streamlit_server() as app_url, chromium() as browser:
        screenshot_heads(browser.new_page(), app_url, Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}")
