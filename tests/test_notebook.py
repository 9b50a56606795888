"""headscope.show: a view of the app for a notebook, drawn by the app's renderer from the app's payload, offline."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import support

TEXT = "The black cat sat on the mat."


@pytest.fixture(scope="module")
def headscope():
    import headscope

    return headscope


def test_importing_headscope_stays_cheap_and_the_notebook_needs_no_streamlit():
    code = (
        "import sys, headscope; assert 'torch' not in sys.modules and 'headscope.notebook' not in sys.modules; "
        "from headscope import notebook; assert 'streamlit' not in sys.modules; "
        "assert headscope.show is notebook.show and 'show' in headscope.__all__"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=support.ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with pytest.raises(AttributeError):
        __import__("headscope").not_there  # noqa: B018 - any other name is still an AttributeError


def test_heads_opens_on_the_answers_layer_with_the_apps_badges_and_outlines(headscope):
    figure = headscope.show(TEXT)
    page = figure._repr_html_()
    (grid,) = figure.grids
    names = [p["name"] for p in grid["panels"]]
    assert names == [f"L2H{h}" for h in range(12)] and figure.title.startswith("Layer 2 ")  # L2H8 answers nsubj
    badges = {p["name"]: p["badge"] for p in grid["panels"]}
    assert badges["L2H8"] == "follows nsubj" and any(p["outlines"] for p in grid["panels"])
    assert "L2H8" in figure.note and "nsubj" in figure.note
    assert "window.headscopeGrid" in page and "[CLS]" in grid["rowLabels"]
    assert "<script src" not in page and "<link" not in page  # the renderer is in the page, nothing to fetch


def test_heads_is_the_heads_pages_figure(headscope):
    """The notebook's layer is the Heads page's grid (AppTest): the same payload, badges and outlines; only what
    is the page's own differs (a click opens a head there, its download name, its key)."""
    at = support.on_page("pages/heads.py")
    (app,) = support.app_grids(at)
    (grid,) = headscope.show(TEXT).grids
    own = ("file", "selected", "clickable", "key", "reveal")
    mine = json.loads(json.dumps({k: v for k, v in grid.items() if k not in own}))
    assert mine == {k: v for k, v in app.items() if k not in own}
    assert any(p["badge"] for p in app["panels"]) and any(p["outlines"] for p in app["panels"])


def test_a_layer_and_other_views(headscope):
    four = headscope.show(TEXT, view="heads", layer=4)
    assert [p["name"] for p in four.grids[0]["panels"]] == [f"L4H{h}" for h in range(12)]
    assert "Layer 4" in four._repr_html_()
    assert len(headscope.show(TEXT, view="layers").grids[0]["panels"]) == 72
    (one,) = headscope.show(TEXT, view="head", layer=0, head=2).grids[0]["panels"]
    assert one["name"] == "L0H2"
    with pytest.raises(ValueError, match="layer 9 does not exist"):
        headscope.show(TEXT, layer=9)
    with pytest.raises(ValueError, match="unknown view"):
        headscope.show(TEXT, view="nope")
    ids = {f._repr_html_().split("id='", 1)[1].split("'")[0] for f in (four, headscope.show(TEXT))}
    assert len(ids) == 2  # two figures in one notebook page do not share an element id


def test_syntax_is_the_syntax_pages_figure(headscope):
    """The notebook's best heads are the Syntax heads page's: the same payload, badges and outlines."""
    from components import syntax_view
    from headscope import atlas, models, norms, roles, syntax

    figure = headscope.show(TEXT, view="syntax")
    page = figure._repr_html_()
    assert "window.headscopeArcs" in page and "L2H8" in figure.note
    (grid,) = figure.grids
    loaded = models.load()
    raw = norms.attend(loaded, TEXT)
    scores = syntax.score_sentence(raw, syntax.parse(TEXT))
    following = syntax_view.following_heads(atlas.shipped(loaded), "nsubj")
    app = syntax_view.top_heads_data(
        loaded.name, scores, scores.relations["nsubj"], roles.positional_heads(raw), following
    )
    drop = ("file", "selected")
    assert json.dumps({k: v for k, v in grid.items() if k not in drop}, sort_keys=True) == json.dumps(
        {k: v for k, v in app.items() if k not in drop}, sort_keys=True
    )
    assert grid["panels"][0]["badge"].startswith("follows")
    not_english = headscope.show("Le chat noir est assis sur le tapis.", view="syntax")
    assert "English" in not_english.note and not not_english.grids


@pytest.mark.browser
def test_its_html_opens_offline_in_chromium_and_draws_the_grid(headscope, browser, tmp_path):
    figures = [headscope.show(TEXT), headscope.show(TEXT, view="syntax")]
    path = tmp_path / "notebook.html"
    # as a notebook shows them: two outputs in one page, each a fragment with its own renderer
    path.write_text("".join(f._repr_html_() for f in figures), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    asked, errors = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: None if request.url.startswith("file:") else asked.append(request.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(path.as_uri())
    # 12 heads of layer 2, then the 4 best heads for nsubj
    page.wait_for_function(f"document.querySelectorAll('{support.HEATMAP}').length === 16", timeout=60_000)
    drawn = page.locator(support.GRID).evaluate_all("els => els.map(e => e.dataset.drawn)")
    names = support.wait_texts(page, support.GRID_TITLES, lambda t: len(t) == 16, "the panels' names", 30_000)
    arcs = page.locator(".hs-arcs-host svg").count()
    page.screenshot(path=str(tmp_path / "notebook.png"), full_page=True)
    context.close()
    assert drawn == ["12", "4"], drawn
    assert names[:12] == [f"L2H{h}" for h in range(12)] and "L2H8" in names[12:]
    assert arcs == 1
    assert not asked, asked  # offline: nothing but the file itself
    assert not errors, errors


def test_the_example_notebook_is_valid_cleared_and_runs(headscope, tmp_path, monkeypatch):
    """docs/notebook.ipynb: nbformat 4 (the schema's required keys), no outputs kept, and every code cell runs."""
    nb = json.loads((support.ROOT / "docs" / "notebook.ipynb").read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 5 and isinstance(nb["metadata"], dict)
    kinds = {
        "markdown": {"cell_type", "id", "metadata", "source"},
        "code": {"cell_type", "id", "metadata", "source", "outputs", "execution_count"},
    }
    ids = [cell["id"] for cell in nb["cells"]]
    assert len(set(ids)) == len(ids)
    for cell in nb["cells"]:
        assert set(cell) == kinds[cell["cell_type"]], cell
        assert all(isinstance(line, str) for line in cell["source"])
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    monkeypatch.chdir(tmp_path)  # it saves a file
    scope: dict = {}
    shown = []
    for cell in code:  # as a kernel runs them: the last line's value is what the notebook displays
        *body, last = "".join(cell["source"]).rstrip().splitlines()
        exec("\n".join(body), scope)  # noqa: S102 - the project's own example
        shown.append(eval(last, scope))  # noqa: S307
    figures = [value for value in shown if hasattr(value, "_repr_html_")]
    assert len(figures) == 4 and all("window.headscopeGrid" in f._repr_html_() for f in figures)
    assert (tmp_path / "keys.html").is_file() and shown[-1][0] == "L2H8"  # the best head that follows nsubj


JUPYTER_INSERT = """html => {  // what JupyterLab does with an output's HTML: innerHTML, then each script re-created to run
    const output = document.createElement('div');
    document.body.appendChild(output);
    output.innerHTML = html;
    for (const old of [...output.querySelectorAll('script')]) {
        const script = document.createElement('script');
        for (const {name, value} of old.attributes) script.setAttribute(name, value);
        script.textContent = old.textContent;
        old.replaceWith(script);
    }
}"""


@pytest.mark.browser
def test_it_draws_when_added_to_a_page_that_has_loaded_as_jupyter_adds_an_output(headscope, browser, tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    for figure in (headscope.show(TEXT, layer=4), headscope.show(TEXT, view="syntax")):  # two cells' outputs
        page.evaluate(JUPYTER_INSERT, figure._repr_html_())
    page.wait_for_function(f"document.querySelectorAll('{support.HEATMAP}').length === 16", timeout=60_000)
    names = support.wait_texts(page, support.GRID_TITLES, lambda t: len(t) == 16, "the panels' names", 30_000)
    context.close()
    assert names[:12] == [f"L4H{h}" for h in range(12)], names
    assert not errors, errors
