"""HEADSCOPE_* settings outside their sane range are refused at start: one line in the CLI, one error in the app."""

from __future__ import annotations

import pytest

from headscope.errors import SettingsError
from headscope.policy import RANGES, Policy
from tests.support import headscope, one_line_error, run_app, texts


@pytest.mark.parametrize("name", sorted(RANGES))
def test_each_number_setting_is_refused_outside_its_range_and_kept_inside(name):
    low, high, _ = RANGES[name]
    variable = Policy.ENV[name]
    for value in (low, high):
        assert getattr(Policy.from_settings(env={variable: str(value)}), name) == value
    for value, side in ((high + 1, "above"), (low - 1, "below")):
        if value < 1:
            continue  # 0 means no limit (or is not a positive number): refused or allowed as before
        with pytest.raises(SettingsError, match=f"{variable} is not usable: {value:,} is {side}"):
            Policy.from_settings(env={variable: str(value)})


def test_the_range_is_checked_in_secrets_too():
    with pytest.raises(SettingsError, match=r"\[headscope\] max_tokens in secrets.toml is not usable: 2 is below 8"):
        Policy.from_settings(env={}, secrets={"max_tokens": 2})


@pytest.mark.parametrize("value", ["1", "2"])
def test_the_cli_refuses_a_tiny_token_cap_in_one_line(value):
    result = headscope("attention", "The cat sat.", HEADSCOPE_MAX_TOKENS=value)
    one_line_error(result, f"HEADSCOPE_MAX_TOKENS is not usable: {value} is below 8", "from 8 to 1,000,000")


def test_the_cli_refuses_a_bad_setting_before_any_work():
    # atlas reads a corpus before the model: the setting is refused first, with no file read
    result = headscope("atlas", "--corpus", "/no/such/file.txt", HEADSCOPE_CACHE_MB="1")
    one_line_error(result, "HEADSCOPE_CACHE_MB is not usable: 1 is below 16")


def test_the_app_shows_one_error_for_a_setting_out_of_range(fresh_policy):
    fresh_policy.setenv("HEADSCOPE_MAX_TOKENS", "2")
    app = run_app()
    assert not app.exception
    assert texts(app.error) == [
        "This server is misconfigured: the setting HEADSCOPE_MAX_TOKENS is not usable: 2 is below 8 (a request "
        "holds a model's special tokens and a few words); give a whole number from 8 to 1,000,000. Ask its "
        "administrator to fix the setting (see .streamlit/secrets.example.toml)."
    ]
