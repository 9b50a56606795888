"""Fixtures for browser tests: a Streamlit server per test module (and one in the dark theme), Chromium, a fresh page."""

from __future__ import annotations

import contextlib

import pytest

from tests import support


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with support.streamlit_server(log_path=log) as url:
        yield url


@pytest.fixture(scope="module")
def dark_url(tmp_path_factory):
    """A Streamlit server of the app in the dark theme (`--theme.base dark`)."""
    log = tmp_path_factory.mktemp("streamlit-dark") / "streamlit.log"
    with support.streamlit_server(log_path=log, extra_args=["--theme.base", "dark"]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with support.chromium() as b:
        yield b


@contextlib.contextmanager
def watched_page(browser, width: int, height: int, **context_options):
    """A page in a new browser context of this size (and Playwright's other context options, e.g. a phone's
    is_mobile and has_touch); fails on any script error the page raised."""
    context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def page(browser):
    with watched_page(browser, 1400, 1000) as page:
        yield page
