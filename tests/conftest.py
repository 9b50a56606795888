"""Shared fixtures: the real bundled model, loaded once per test session."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach the hub
# atlases cached on disk go to a fresh folder, so no test depends on an earlier run
os.environ.setdefault("HEADSCOPE_CACHE", tempfile.mkdtemp(prefix="headscope-cache-"))

pytest_plugins = ["tests.browser_fixtures"]  # a Streamlit server and Chromium per browser test module

SENTENCE = "The black cat sat on the mat."
SPLIT_SENTENCE = "Tokenization is unbelievably straightforward."


@pytest.fixture
def fresh_policy(monkeypatch):
    """The app re-reads HEADSCOPE_* settings (its policy is cached per process): before and after."""
    from components import cached
    from headscope.policy import Policy

    for name in Policy.ENV.values():
        monkeypatch.delenv(name, raising=False)
    cached.policy.clear()
    yield monkeypatch
    monkeypatch.undo()
    cached.policy.clear()


@pytest.fixture(scope="session")
def loaded():
    """The bundled all-MiniLM-L6-v2, as the app loads it."""
    from headscope import models

    return models.load()


@pytest.fixture(scope="session")
def cat(loaded):
    """Attention of the default sentence."""
    from headscope import attention

    return attention.run(loaded, SENTENCE)


@pytest.fixture(scope="session")
def split(loaded):
    """Attention of a sentence whose words split into several pieces."""
    from headscope import attention

    return attention.run(loaded, SPLIT_SENTENCE)


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory):
    """A tiny random model of every family, each in its own local folder."""
    from tests import tiny

    return tiny.make_all(tmp_path_factory.mktemp("tiny-models"))
