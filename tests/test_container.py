"""The Dockerfile, read as text: there is no Docker engine here, so what can be checked statically is."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
LINES = [line.strip() for line in DOCKERFILE.splitlines() if line.strip() and not line.strip().startswith("#")]


def _env() -> dict[str, str]:
    """Every ENV key=value of the run stage (after the last FROM)."""
    run_stage = DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]
    body = " ".join(re.findall(r"^ENV (.*?)(?<!\\)$", run_stage.replace("\\\n", " "), flags=re.M))
    return dict(pair.split("=", 1) for pair in body.split())


def test_base_image_is_pinned_to_an_exact_release():
    base = re.search(r"^ARG BASE=(\S+)$", DOCKERFILE, flags=re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    assert [line for line in LINES if line.startswith("FROM")] == ["FROM ${BASE} AS build", "FROM ${BASE}"]


def test_runs_as_a_non_root_user_with_a_health_check():
    user = [line for line in LINES if line.startswith("USER ")]
    assert user == ["USER headscope"] and LINES.index(user[0]) < LINES.index(
        next(line for line in LINES if line.startswith("CMD"))
    )
    assert "useradd --create-home --uid 10001 headscope" in DOCKERFILE
    assert any(line.startswith("HEALTHCHECK") for line in LINES) and "/_stcore/health" in DOCKERFILE


def test_the_server_settings_are_locked_down():
    env = _env()
    assert env["STREAMLIT_SERVER_HEADLESS"] == "true"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION"] == "true"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert (env["HEADSCOPE_ALLOW_HUB"], env["HEADSCOPE_ALLOW_LOCAL"]) == ("0", "0")
    assert int(env["HEADSCOPE_MAX_TOKENS"]) == 512 and int(env["HEADSCOPE_MAX_PARAMS"]) > 0


def test_every_copied_path_exists_and_is_not_ignored():
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    sources = [line.split()[-2] for line in LINES if line.startswith("COPY --chown")]
    assert sources, "no COPY of the app"
    for src in sources:
        assert (ROOT / src).exists(), src
        assert src.strip("./") not in ignored, src
    # everything the app imports at run time is copied
    assert {"app.py", "pages", "components", "headscope", "data", "static", ".streamlit"} <= set(sources)


def test_torch_is_the_pinned_cpu_build():
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", requirements, flags=re.M)
    assert "TORCH_INDEX=https://download.pytorch.org/whl/cpu" in DOCKERFILE
    assert "sed -n 's/^torch==//p' /tmp/requirements.txt" in DOCKERFILE  # the one pin, read from requirements


def test_the_deploy_readme_names_every_setting_and_its_defaults():
    from headscope import attention, corpus
    from headscope.policy import Policy

    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")  # operations and policies
    start = readme.index("## What the app refuses, and why")
    refusals = readme[start : readme.index("\n## ", start)]
    for variable in Policy.ENV.values():
        assert variable in readme, variable
    assert f"{attention.MAX_CHARS:,} characters" in refusals
    assert f"{corpus.MAX_BYTES:,} bytes" in refusals and f"| {corpus.MAX_SENTENCES:,} |" in refusals
    assert f"{corpus.MAX_SENTENCE_CHARS:,} characters" in refusals
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(r"^maxUploadSize = 10$", config, flags=re.M) and "Streamlit's own cap: 10 MB" in refusals
