"""Inputs that crashed a page or the CLI (issue 13): each gets one clear message, and the app goes on.

Real model, real parser, real Streamlit (AppTest) and the real CLI in a subprocess.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from headscope import atlas, attention, corpus, models, syntax, words
from headscope.attention import NOTHING_TO_SCORE, InputError
from headscope.policy import MAX_UPLOAD_TOKENS, Policy
from headscope.syntax import ParseError
from tests.support import ROOT, headscope, linked_app, on_page, one_line_error, texts

NOTHING = ["\u200b", "\x07", "\u200b\u200d\x07 \ufeff"]  # zero-width, a control character, a mix with a space
EXCEPTION_TEXT = re.compile(r"Traceback|\w+Error\b|\w+Exception\b|something went wrong|argmax")


def gold_sentence(heads: list[int], form: str = "word") -> str:
    """One CoNLL-U sentence with these HEADs (1-based, 0 the root)."""
    return "".join(
        f"{i}\t{form}{i % 7}\t_\tX\t_\t_\t{h}\t{'root' if h == 0 else 'nmod'}\t_\t_\n" for i, h in enumerate(heads, 1)
    )


def upload(app, name: str, data: bytes):
    """Upload a corpus on the Head atlas page and run it."""
    app.file_uploader(key="atlas_upload").set_value((name, data, "text/plain")).run()
    assert not app.exception, app.exception
    return app


def shown(app) -> list[str]:
    """Every message and text a user reads on the page."""
    return [*texts(app.error), *texts(app.warning), *texts(app.info), *texts(app.markdown), *texts(app.caption)]


# --- 1. an uploaded corpus with no arc to score ---------------------------------------------


@pytest.fixture(scope="module")
def atlas_page():
    return on_page("pages/atlas.py", atlas_source="upload")


@pytest.mark.parametrize(
    "name, data, why",
    [
        ("hello.txt", b"Hello\nWorld\nYes\n", "no sentence has an arc between two of its words"),
        ("roots.conllu", gold_sentence([0, 0, 0, 0]).encode(), "every HEAD 0"),
        # every word hangs on the 600th, which is past the model's 512 tokens: every arc is cut
        ("long.conllu", gold_sentence([600] * 599 + [0]).encode(), "the model reads only the start of a long sentence"),
    ],
)
def test_a_corpus_with_no_arcs_says_so(atlas_page, name, data, why):
    upload(atlas_page, name, data)
    errors = texts(atlas_page.error)
    assert len(errors) == 1 and errors[0].startswith(
        f"Cannot score this corpus: {name} has no dependency arcs to score"
    )
    assert why in errors[0]
    assert not atlas_page.get("selectbox") or all(s.key != "atlas_upload_relation" for s in atlas_page.selectbox)
    upload(atlas_page, "ok.txt", b"The dog barked.\nA cat slept on the mat.\n")  # the page goes on
    assert not atlas_page.error and any("2 sentences" in m for m in texts(atlas_page.markdown))


def test_a_600_word_gold_sentence_is_scored_as_far_as_the_model_reads(atlas_page, loaded):
    chain = gold_sentence([0] + list(range(1, 600)))  # each word hangs on the one before
    result = atlas.compute(loaded, corpus.read_conllu(chain, "chain.conllu"))
    assert result.truncated == 1 and result.sentences == 1
    assert 100 < result.words < 600  # the words in the model's 512 tokens
    upload(atlas_page, "chain.conllu", chain.encode())
    assert not atlas_page.error
    assert any("1 sentence was longer than the model reads" in c for c in texts(atlas_page.caption))


# --- 2. a text with nothing to score --------------------------------------------------------


@pytest.mark.parametrize("text", NOTHING)
def test_one_error_for_a_text_with_nothing_to_score(loaded, text):
    for call in (
        lambda: attention.run(loaded, text),
        lambda: syntax.score_sentence(attention.run_batch(loaded, [text])[0], syntax.parse(text)),
    ):
        with pytest.raises(InputError) as raised:
            call()
        assert str(raised.value) == NOTHING_TO_SCORE


PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_a_text_of_only_zero_width_characters(page):
    app = linked_app({"text": "\u200b"}, page)
    messages = shown(app)
    assert not [m for m in messages if EXCEPTION_TEXT.search(m)], messages
    if page in ("pages/heads.py", "pages/syntax.py", "pages/compare.py", "pages/inside.py", "pages/rollout.py"):
        assert f"Nothing to show: {NOTHING_TO_SCORE}." in texts(app.info), messages
    assert not [b for b in app.get("download_button") if "report" in (b.proto.label or "").lower()]


@pytest.mark.parametrize("text", ["\x07", "\u200b"])
def test_syntax_and_compare_say_what_is_wrong(text):
    for page in ("pages/syntax.py", "pages/compare.py"):
        app = linked_app({"text": text}, page)
        assert texts(app.info) == [f"Nothing to show: {NOTHING_TO_SCORE}."], shown(app)
        assert not app.error


def test_compare_with_a_second_sentence_of_nothing():
    app = on_page("pages/compare.py")
    app.text_area(key="compare_text").set_value("\u200b\x07").run()
    assert not app.exception
    assert texts(app.info) == [f"Nothing to show: {NOTHING_TO_SCORE}."]


@pytest.mark.parametrize(
    "args", [("syntax",), ("attention",), ("attention", "--words"), ("roles",), ("head", "--layer", "0", "--head", "0")]
)
def test_every_cli_command_refuses_a_text_with_nothing_to_score(args):
    command, *options = args
    assert NOTHING_TO_SCORE in one_line_error(headscope(command, "\u200b", *options))


def test_cli_atlas_with_lines_of_nothing(tmp_path):
    path = tmp_path / "nothing.txt"
    path.write_text("\u200b\n\x07\n\u200b\u200d\n", encoding="utf-8")
    assert "has no dependency arcs to score" in one_line_error(headscope("atlas", "--corpus", str(path)))
    path.write_text("The dog barked.\n\u200b\n\x07\n", encoding="utf-8")  # some lines of nothing: skipped
    result = headscope("atlas", "--corpus", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr


# --- 3. the atlas over an upload: fast, bounded, stoppable ----------------------------------


class Stop(BaseException):
    """What Streamlit raises in a progress call (an element) once the user clicked Stop: not an Exception."""


def stop_at(sentences: int):
    """A progress callback that stops the computation once `sentences` are scored."""

    def progress(done: int, total: int) -> None:
        if done >= sentences:
            raise Stop

    return progress


def test_merge_weights_agrees_with_the_membership_product():
    rng = np.random.default_rng(0)
    w = rng.random((2, 3, 9, 9), dtype=np.float32)
    groups = [[0], [1, 2, 3], [5], [6, 8]]  # a piece in no group (4, 7), as alignment can leave
    member = np.zeros((len(groups), 9), dtype=np.float32)
    for i, g in enumerate(groups):
        member[i, g] = 1
    expected = np.einsum("wq,...qk->...wk", member / member.sum(1, keepdims=True), w @ member.T)
    np.testing.assert_allclose(words.merge_weights(w, groups), expected, rtol=1e-6)


def test_batches_keep_long_sentences_apart(loaded):
    texts_ = ["a " * 600, "The cat sat.", "b " * 300, "A dog ran."]
    plan = atlas.batches(loaded, texts_)
    assert plan[0] == [0]  # 512 tokens: 75 MB of attention, alone
    assert sorted(i for b in plan for i in b) == [0, 1, 2, 3]
    lengths = atlas.token_lengths(loaded, texts_)
    per_pair = loaded.num_layers * loaded.num_heads * 4
    assert all(len(b) == 1 or len(b) * lengths[b[0]] ** 2 * per_pair <= atlas.TOKEN_BUDGET for b in plan)


def test_a_stopped_atlas_goes_on_where_it_stopped(loaded):
    parsed = corpus.read_txt(
        "The dog barked.\nA cat slept on the mat.\nBirds sang in the old tree.\nMy brother's bicycle was stolen.\n",
        "four.txt",
    )
    whole = atlas.compute(loaded, parsed, batch_size=1)

    tally = atlas.Tally()
    with pytest.raises(Stop):
        atlas.compute(loaded, parsed, batch_size=1, progress=stop_at(2), tally=tally)
    assert tally.done == 2 and tally.atlas(loaded.name, "four.txt").sentences == 2  # the partial atlas
    seen = []
    resumed = atlas.compute(loaded, parsed, batch_size=1, tally=tally, progress=lambda d, t: seen.append(d))
    assert seen == [3, 4]  # only the rest was run
    assert atlas.to_json(resumed) == atlas.to_json(whole)


def test_the_token_cap_refuses_before_parsing(loaded, monkeypatch):
    parsed = []
    monkeypatch.setattr(corpus, "parse_many", lambda *a, **k: parsed.append(1))
    data = b"The black cat sat on the mat.\n" * 20  # 10 tokens a line
    with pytest.raises(ParseError, match=r"many.txt makes 200 tokens for this model; the limit is 150"):
        corpus.read_upload(data, "many.txt", Policy(max_upload_tokens=150), count_tokens=atlas.token_counter(loaded))
    assert parsed == []


def test_the_token_cap_in_the_app_not_the_cli(monkeypatch, tmp_path):
    from components import cached

    monkeypatch.setenv("HEADSCOPE_MAX_UPLOAD_TOKENS", "150")
    cached.policy.clear()
    try:
        app = on_page("pages/atlas.py", atlas_source="upload")
        assert "150 of the model's tokens in all" in app.file_uploader(key="atlas_upload").help
        upload(app, "many.txt", b"The black cat sat on the mat.\n" * 20)
        assert texts(app.error) == [
            "Cannot read this corpus: many.txt makes 200 tokens for this model; the limit "
            "is 150 (the atlas's time grows with them): use fewer or shorter sentences."
        ]
        assert not app.get("progress")  # the bar went with the failure
    finally:
        cached.policy.clear()
    path = tmp_path / "many.txt"
    path.write_bytes(b"The black cat sat on the mat.\n" * 20)
    result = headscope("atlas", "--corpus", str(path), HEADSCOPE_MAX_UPLOAD_TOKENS="150")
    assert result.returncode == 0, result.stderr  # the cap is a server's: the command line reads any size


def test_a_stopped_upload_shows_what_was_scored_and_goes_on(loaded):
    # A click on Stop sets the job's `stopped` (its callback) in the rerun that interrupts the
    # computation at its next progress step (test_a_stopped_atlas_goes_on_where_it_stopped). Here
    # the page meets the state that leaves: a parsed corpus, one sentence of three scored.
    import hashlib

    from components.syntax_view import AtlasJob

    data = b"The dog barked.\nA cat slept on the mat.\nBirds sang in the old tree.\n"
    parsed = corpus.read_upload(data, "three.txt")
    tally = atlas.Tally()
    with pytest.raises(Stop):
        atlas.compute(loaded, parsed, batch_size=1, tally=tally, progress=stop_at(1))
    key = hashlib.sha256(data).hexdigest()[:16] + models.BUNDLED_ID
    app = on_page(
        "pages/atlas.py",
        atlas_source="upload",
        atlas_job=AtlasJob(key=key, corpus=parsed, tally=tally, stopped=True),
    )
    upload(app, "three.txt", data)
    assert texts(app.warning) == ["Stopped after 1 of 3 sentences."]
    assert any("1 sentence, " in m for m in texts(app.markdown))  # the partial atlas
    app.button(key="atlas_go_on").click().run()
    assert not app.exception and not app.warning
    assert any("**three.txt**: 3 sentences" in m for m in texts(app.markdown))


# --- 4. messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_upload_is_named_and_how_to_convert(encoding):
    data = "The cat sat.\nA dog ran.\n".encode(encoding)
    name = encoding.split("-")[0].upper() + "-" + encoding.split("-")[1]
    with pytest.raises(ParseError) as raised:
        corpus.read_upload(data, "mine.txt")
    message = str(raised.value)
    assert message.startswith(f"mine.txt is {name} text, not UTF-8") and f"iconv -f {name} -t UTF-8" in message
    assert "binary" not in message
    with pytest.raises(ParseError, match="binary"):
        corpus.read_upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.txt")


def test_cli_corpus_that_is_a_directory_or_a_fifo(tmp_path):
    import os

    assert "is a directory" in one_line_error(headscope("atlas", "--corpus", str(tmp_path)))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is not a regular file" in one_line_error(headscope("atlas", "--corpus", str(fifo)))


def test_cli_usage_hint_names_the_command_once():
    assert "(see `python -m headscope --help`)" in one_line_error(headscope())
    assert "(see `python -m headscope --help`)" in one_line_error(headscope("nonsense"))
    assert "(see `python -m headscope attention --help`)" in one_line_error(headscope("attention"))


def test_one_dropped_token_is_singular():
    from headscope.wording import dropped_note, plural

    assert dropped_note(1) == "the last 1 token was dropped"
    assert dropped_note(3) == "the last 3 tokens were dropped"
    assert (plural(1, "arc"), plural(1_000, "sentence")) == ("1 arc", "1,000 sentences")


def test_the_cli_says_one_token_was_dropped():
    result = headscope("attention", "a " * 511)  # 511 words + [CLS] + [SEP]: one over the 512
    assert result.returncode == 0, result.stderr
    assert "note: the text was truncated; the last 1 token was dropped" in result.stdout


def test_the_cycle_check_of_a_long_gold_sentence_is_linear():
    # a chain of 100,000 words: the old check walked every chain to the root (5e9 steps)
    parsed = corpus.read_conllu(gold_sentence([0] + list(range(1, 100_000)), form="w"), "long.conllu")
    assert len(parsed.parses[0].words) == 100_000
    with pytest.raises(ParseError, match="cycle.conllu, line 2: the heads form a cycle"):
        corpus.read_conllu(gold_sentence([0, 3, 2]), "cycle.conllu")


def test_the_deploy_readme_states_the_token_cap_and_the_measured_worst_case():
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")  # operations and policies
    start = readme.index("## What the app refuses, and why")
    refusals = readme[start : readme.index("\n## ", start)]
    row = next(line for line in refusals.splitlines() if "`HEADSCOPE_MAX_UPLOAD_TOKENS`" in line)
    assert f"| {MAX_UPLOAD_TOKENS:,} tokens; " in row
    assert "bench/upload_worst_case.py" in row and "peak" in row
    assert corpus.MAX_TOKENS == MAX_UPLOAD_TOKENS == Policy().max_upload_tokens
