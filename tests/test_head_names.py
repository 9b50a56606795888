"""One reader of head names (L2H8) for links and the command line: ASCII digits, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components import links
from headscope import cli, knockout, models
from headscope.attention import InputError
from headscope.panels import parse_head_name
from tests.support import headscope, one_line_error

SENTENCE = "The cat sat on the mat."
DIGITS = st.text(st.characters(categories=("Nd",)), min_size=1, max_size=6)  # any script's digits
NAMES = st.builds(lambda layer, head, sep: f"L{layer}{sep}H{head}", DIGITS, DIGITS, st.sampled_from(["", " "]))
LONG = st.builds(lambda n, head: f"L{'9' * n}H{head}", st.integers(1, 6000), DIGITS)  # int() raises past 4,300 digits
HEAD_LISTS = st.lists(NAMES | LONG | st.text(max_size=12), max_size=6).map(",".join)


def test_full_width_digits_and_long_numbers_are_not_head_names():
    assert parse_head_name("L2H8") == parse_head_name(" l2 h8 ") == (2, 8)
    for name in ("L\uff11H0", "L1H\u0660", "L" + "9" * 5 + "H0", "L" + "9" * 5000 + "H0", "L1H", "L-1H0", "L1_0H0"):
        assert parse_head_name(name) is None, name
        with pytest.raises(ValueError, match="not a head name"):
            links._parse("head", name)
        with pytest.raises(InputError, match="is not a head name"):
            knockout.parse_heads(name, 6, 12)


@pytest.mark.parametrize(
    ("heads", "words"),
    [
        ("L" + "9" * 5000 + "H0", ["is not a head name", "the digits 0 to 9"]),  # was a 19-line traceback
        ("L\uff11H0", ["'L\uff11H0' is not a head name"]),  # full-width 1: links refused it, the CLI took it
        ("L9999H0", ["there is no head L9999H0"]),
    ],
)
def test_the_cli_refuses_bad_head_names_in_one_line(heads, words):
    one_line_error(headscope("knockout", SENTENCE, "--heads", heads), *words)


@pytest.mark.parametrize("args", [["--layer", "\uff11", "--head", "0"], ["--layer", "1" * 5000, "--head", "0"]])
def test_the_cli_takes_numbers_in_ascii_digits_only(args):
    one_line_error(headscope("head", SENTENCE, *args), "is not a whole number written with the digits 0 to 9")


@pytest.fixture(scope="module")
def quick_cli(loaded):
    """cli.main with the bundled model loaded once (models.load is the same model, read again every call)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(models, "load", lambda *args, **kwargs: loaded)
    yield cli.main
    patch.undo()


@given(spec=HEAD_LISTS | st.text(max_size=40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_heads_argument_exits_0_or_2_with_one_line(quick_cli, capsys, spec):
    code = quick_cli(["knockout", SENTENCE, "--heads", spec, "--format", "json"])  # raises on a bug: a traceback
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("headscope: error: ")
    else:
        assert err == "" and out.startswith("{")
