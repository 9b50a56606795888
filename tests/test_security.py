"""Defence in depth for a public server (issue 13).

- A server that confines local model folders answers every refused folder the same way, so a
  visitor cannot probe which folders exist (the real loader, and the app via a ?model= link).
"""

from __future__ import annotations

import shutil

import pytest

from headscope import models
from headscope.models import ModelError, Policy
from tests.support import linked_app, texts
from tests.test_faults import fresh_policy  # noqa: F401 - a fixture: the app re-reads HEADSCOPE_* settings


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
        "/root", "/root/.ssh", "/etc", "/etc/passwd", "/no/such/folder", "~", "~nosuchuser-xyz", "/tmp/a\0b",
        str(root), str(root / "empty"), str(root / "notes.txt"), str(root / "missing"),
        f"{root}/../outside/model", str(root / "link-out"), str(outside), str(outside / "model"),
        str(outside / "missing"), f"{root}/good/../../outside",
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
    answers = {_error(models.load, folder, policy).replace(repr(folder), "X")
               for folder in refused_folders(root, outside)}
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
