"""components/streamlit_private.py holds every use of Streamlit's private names. This fails
on a Streamlit upgrade, or when a private name it reads is gone, so each use is checked
again by hand (then CHECKED_VERSION is updated); and it fails when another module of
components/ or pages/ reaches into Streamlit's internals itself."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import streamlit

from components import streamlit_private

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = {"streamlit", "streamlit.errors"}
"""Streamlit modules components/ and pages/ may import directly."""


def test_the_installed_streamlit_is_the_one_the_private_uses_were_checked_against():
    assert streamlit.__version__ == streamlit_private.CHECKED_VERSION, (
        f"Streamlit {streamlit.__version__} is installed; components/streamlit_private.py was checked against "
        f"{streamlit_private.CHECKED_VERSION}: check each function there, then update CHECKED_VERSION"
    )


def test_the_private_names_used_still_exist():
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.state.session_state import SessionState, WStates
    from streamlit.runtime.state.session_state_proxy import get_session_state

    assert streamlit_private.get_session_state is get_session_state
    assert streamlit_private.PagesManager is PagesManager
    assert isinstance(get_session_state()._state, SessionState)
    assert "_new_widget_state" in {f.name for f in dataclasses.fields(SessionState)}
    assert hasattr(WStates(), "states")
    assert hasattr(PagesManager, "uses_pages_directory")
    from streamlit.navigation.page import StreamlitPage
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    assert streamlit_private.StreamlitPage is StreamlitPage
    assert streamlit_private.get_script_run_ctx is get_script_run_ctx
    assert "self._can_be_called" in inspect.getsource(StreamlitPage)  # the one per-run flag the copies keep apart
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    assert "fragment_ids_this_run" in {f.name for f in dataclasses.fields(ScriptRunContext)}  # fragment_rerun()


def test_the_pages_are_built_once_and_each_run_gets_copies_of_its_own():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from components import streamlit_private
        from tests.support import ROOT

        def build():
            st.session_state["built"] = st.session_state.get("built", 0) + 1
            return [
                st.Page(ROOT / "pages" / "heads.py", title="Heads", default=True),
                st.Page(ROOT / "pages" / "atlas.py", title="Head atlas"),
            ]

        pages = streamlit_private.reused_pages(build)
        st.session_state.setdefault("runs", []).append([(id(p), p.url_path, p.title) for p in pages])
        st.navigation(pages, position="hidden")

    at = AppTest.from_function(script).run()
    at.run()
    assert not at.exception and at.session_state["built"] == 1  # st.Page resolved its paths once
    first, second = at.session_state["runs"]
    assert [p[1:] for p in first] == [p[1:] for p in second] == [("", "Heads"), ("atlas", "Head atlas")]
    assert not {p[0] for p in first} & {p[0] for p in second}  # new copies each run: no flag shared


def test_a_fresh_session_sent_no_widget_values():
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from components import streamlit_private

        st.write(f"sent: {streamlit_private.browser_sent_widget_values()}")

    app = AppTest.from_function(script).run()
    assert not app.exception, app.exception
    assert app.markdown[0].value == "sent: False"


def test_no_other_module_imports_streamlit_internals():
    found = []
    for path in [*(ROOT / "components").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        if path.name == "streamlit_private.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("streamlit") and n not in PUBLIC]
    assert not found, "Streamlit internals imported outside components/streamlit_private.py:\n" + "\n".join(found)


def test_the_main_block_still_has_the_test_id_presentation_mode_styles():
    """compact_top styles Streamlit's main block by its test id: it must still be in Streamlit's frontend."""
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    assert any(
        "stMainBlockContainer" in p.read_text(encoding="utf-8", errors="ignore") for p in static.glob("index.*.js")
    )
    assert streamlit_private.MAIN_BLOCK == "[data-testid='stMainBlockContainer']"


def test_the_sidebar_still_has_the_test_id_the_focus_ring_styles():
    """visible_focus styles the links of Streamlit's sidebar by its test id: it must still be in Streamlit's frontend."""
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    assert any("stSidebar" in p.read_text(encoding="utf-8", errors="ignore") for p in static.glob("index.*.js"))
    assert streamlit_private.SIDEBAR == "[data-testid='stSidebar']"
