"""Faults: a model that fails to load, a parser error, out of memory, an oversized upload.

Each one shows one clear message (a page: st.error or st.info; the CLI: one line on stderr,
exit status 2), never a traceback, and the next request in the same session works.
Everything runs for real (the bundled model and parser, tiny local models, real memory
limits) except where a comment says what is injected and why.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from headscope import attention, corpus, models, syntax
from headscope.errors import ModelError, SettingsError, out_of_memory
from headscope.models import BUNDLED_ID
from headscope.policy import Policy
from headscope.syntax import ParseError
from tests.support import ROOT, app_arcs, heads_drawn, headscope, linked_app, on_page, one_line_error, run_app, texts

# --- helpers -------------------------------------------------------------------------------


def heatmaps(at) -> int:
    return heads_drawn(at)


@pytest.fixture(scope="module")
def good_model(tmp_path_factory) -> Path:
    """A tiny random BERT in a local folder (see tests/tiny.py)."""
    from tests import tiny

    return tiny.make("bert", tmp_path_factory.mktemp("models") / "good")


def damage(good: Path, folder: Path, how: str) -> Path:
    """A copy of a model folder whose weight file is damaged in one way."""
    shutil.copytree(good, folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    if how == "garbage":
        weights.write_bytes(os.urandom(4096))
    elif how == "truncated":
        weights.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        weights.write_bytes(b"")
    elif how.startswith("pickle"):  # a .bin that is no checkpoint at all: bytes that trip torch's unpickler differently
        weights.unlink()
        seed = int(how.removeprefix("pickle") or 0)
        (folder / "pytorch_model.bin").write_bytes(random.Random(seed).randbytes(4096))
    return folder


# --- a model that fails to load ------------------------------------------------------------


# some seeds (pickle20 among them) make torch's unpickler fail with IndexError or KeyError, no message of its own
@pytest.mark.parametrize(
    "how", ["garbage", "truncated", "empty", "pickle", *(f"pickle{seed}" for seed in range(1, 41))]
)
def test_damaged_weights_are_one_clear_model_error(good_model, tmp_path, how):
    folder = damage(good_model, tmp_path / how, how)
    with pytest.raises(ModelError, match="damaged") as info:
        models.load(str(folder), Policy(local_root=str(tmp_path)))
    assert "download or save the model again" in str(info.value)


def test_weights_that_are_not_numbers_are_refused(good_model, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "nan"
    shutil.copytree(good_model, folder)
    weights = load_file(folder / "model.safetensors")
    save_file(
        {k: torch.full_like(v, float("nan")) for k, v in weights.items()},
        folder / "model.safetensors",
        metadata={"format": "pt"},
    )
    with pytest.raises(ModelError, match="not numbers"):
        models.load(str(folder))


def test_damaged_model_in_the_app_shows_an_error_then_the_bundled_model_works(good_model, tmp_path, fresh_policy):
    from components import sidebar

    fresh_policy.setenv("HEADSCOPE_ALLOW_LOCAL", "1")
    fresh_policy.setenv("HEADSCOPE_LOCAL_ROOT", str(tmp_path))
    folder = damage(good_model, tmp_path / "broken", "truncated")
    app = run_app(model_choice=sidebar.LOCAL_FOLDER, model_custom=str(folder))
    errors = texts(app.error)
    assert any("damaged or incomplete" in e and "Showing the bundled model instead" in e for e in errors), errors
    assert heatmaps(app) == 12  # the page goes on, with the bundled model (12 heads)

    app.selectbox(key="model_choice").set_value(BUNDLED_ID).run()  # the user picks the bundled model
    assert not app.exception and not app.error
    assert heatmaps(app) == 12

    # The failed load was not cached (st.cache_resource keeps only returned values): once the
    # folder is repaired, the same path loads, in the same session.
    shutil.copy(good_model / "model.safetensors", folder / "model.safetensors")
    app.selectbox(key="model_choice").set_value(sidebar.LOCAL_FOLDER).run()
    app.text_input(key="model_custom").set_value(str(folder)).run()
    assert not app.exception and not app.error, texts(app.error)
    assert any("2 layers x 4 heads" in c for c in texts(app.sidebar.caption))
    assert heatmaps(app) == 4


def test_damaged_model_in_the_cli_is_one_line(good_model, tmp_path):
    folder = damage(good_model, tmp_path / "broken", "garbage")
    one_line_error(
        headscope("attention", "The cat sat.", "--model", str(folder), HEADSCOPE_ALLOW_LOCAL="1"),
        "damaged or incomplete",
    )


# --- a parser failure ----------------------------------------------------------------------


def test_a_text_the_parser_cannot_take_is_a_parse_error():
    # Real: spaCy itself refuses a text over its max_length (1,000,000 characters).
    with pytest.raises(ParseError, match=r"the parser failed on this text \(ValueError: \[E088\]"):
        syntax.parse("x" * 1_000_001)
    with pytest.raises(ParseError, match="E088"):
        syntax.parse_many(["A short one.", "x" * 1_000_001])


def test_parser_failure_on_the_syntax_page_then_other_pages_work(monkeypatch):
    # The app refuses texts over 20,000 characters before they reach the parser, so no real
    # sentence makes spaCy fail. Injected at the boundary: the real shared parser's own
    # length check (nlp.max_length) is lowered, and spaCy raises its real error (E088).
    nlp = syntax.load_parser()  # the object cached.parser() caches
    text = "Nobody has parsed this sentence before the parser broke."
    monkeypatch.setattr(nlp, "max_length", 10)
    app = on_page("pages/syntax.py", text=text)
    assert not app.exception
    errors = texts(app.error)
    assert any(
        e.startswith("Cannot score this sentence: the parser failed on this text (ValueError: [E088]") for e in errors
    ), errors
    assert not app_arcs(app)  # nothing half-drawn

    app.switch_page("pages/heads.py").run()  # the session goes on: other pages work
    assert not app.exception and heatmaps(app) == 12
    # the heatmaps are drawn; only the outlined arcs, which need the parser, are left out, and it says why
    assert all(e.startswith("Cannot say which heads follow the relation: the parser failed") for e in texts(app.error))

    monkeypatch.undo()  # the parser works again: the failure was not cached
    app.switch_page("pages/syntax.py").run()
    assert not app.exception and not app.error
    assert app.title[0].value == "Syntax heads" and app_arcs(app)


def test_parser_failure_in_a_corpus_in_the_cli_is_one_line(tmp_path):
    # Real: a one-line corpus longer than spaCy's max_length, let through by raised caps.
    path = tmp_path / "long.txt"
    path.write_text("x" * 1_000_001 + "\n")
    one_line_error(
        headscope(
            "atlas",
            "--corpus",
            str(path),
            HEADSCOPE_MAX_SENTENCE_CHARS="2_000_000",
            HEADSCOPE_MAX_UPLOAD_BYTES="3_000_000",
        ),
        "the parser failed",
        "E088",
    )


def test_parser_failure_in_an_uploaded_corpus_shows_an_error(fresh_policy):
    # Real, as above: spaCy refuses the line; the caps are raised through the environment.
    fresh_policy.setenv("HEADSCOPE_MAX_SENTENCE_CHARS", "2000000")
    fresh_policy.setenv("HEADSCOPE_MAX_UPLOAD_BYTES", "3000000")
    app = on_page("pages/atlas.py", atlas_source="upload")
    app.file_uploader(key="atlas_upload").upload("long.txt", b"x" * 1_000_001 + b"\n").run()
    assert not app.exception
    assert any(e.startswith("Cannot read this corpus: the parser failed") for e in texts(app.error))


# --- out of memory -------------------------------------------------------------------------

_OOM_PROBE = r"""
import resource, sys
import torch, transformers  # imported before the limit: their libraries take address space
from headscope import atlas, attention, cli, corpus, models, qkv, roles, syntax, words  # noqa: F401
size = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (size + 400 * 2**20, hard))  # 400 MB more address space, no more
folder = sys.argv[1]
first = cli.main(["attention", "! " * 8000, "--model", folder, "--format", "json"])  # 8,002 tokens
second = cli.main(["attention", "The cat sat.", "--model", folder, "--format", "json"])
print("EXIT", first, second, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def long_model(tmp_path_factory) -> Path:
    """A tiny BERT that accepts 8,192 tokens: one layer's attention scores for 8,000 tokens take 1 GB."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from tests import tiny

    torch.manual_seed(0)
    config = tiny.config_for("bert")
    config.max_position_embeddings = 8192
    folder = tmp_path_factory.mktemp("models") / "long"
    AutoModel.from_config(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(models.bundled_path(), model_max_length=8192).save_pretrained(folder)
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_real_out_of_memory_in_the_cli_is_one_line_and_the_next_run_works(long_model):
    # Real: the process may grow by 400 MB; the forward pass over 8,002 tokens needs gigabytes,
    # so torch's allocator fails. Then a short text runs in the same process.
    result = subprocess.run(
        [sys.executable, "-c", _OOM_PROBE, str(long_model)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "MALLOC_ARENA_MAX": "2", "PYTHONPATH": str(ROOT)},
    )
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == "EXIT 2 0", result.stderr
    assert lines[:-1] == ["headscope: error: not enough memory for 8,002 tokens; try a shorter text"], result.stderr
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(doc["tokens"]) == 6 and doc["num_layers"] == 2


def test_out_of_memory_errors_are_recognised():
    import torch

    assert out_of_memory(MemoryError())
    assert out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"))
    assert out_of_memory(
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: "
            "can't allocate memory: you tried to allocate 10245120 bytes"
        )
    )
    assert not out_of_memory(RuntimeError("size mismatch"))
    assert not out_of_memory(ValueError("out of memory"))


@pytest.mark.parametrize("error", ["torch", "python"])
def test_out_of_memory_in_run_is_an_input_error_and_the_model_still_works(loaded, monkeypatch, error):
    # The bundled model cannot be made to run out of memory in the test process without
    # starving the other tests (the real case is the subprocess test above): its forward
    # raises what torch and Python raise, at the boundary.
    import torch

    def forward(self, *args, **kwargs):
        raise (
            torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
            if error == "torch"
            else MemoryError()
        )

    monkeypatch.setattr(type(loaded.model), "forward", forward)
    with pytest.raises(attention.OutOfMemory, match="not enough memory for 10 tokens; try a shorter text") as info:
        attention.run(loaded, "The black cat sat on the mat.")
    assert isinstance(info.value, attention.InputError)  # every page already shows InputError as a message
    assert info.value.__context__ is None  # raised outside the handler: no frame of the failed pass is kept
    monkeypatch.undo()
    assert attention.run(loaded, "The black cat sat on the mat.").num_tokens == 10


def test_out_of_memory_on_the_pages_then_the_next_run_works(monkeypatch):
    # Injected at the boundary, as above: the shared model's class raises torch's error on
    # every forward pass (BertModel: the bundled model's class) while the patch is on.
    import torch
    from transformers import BertModel

    def forward(self, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    text = "An elephant ate all the memory of the server."
    app = run_app()
    monkeypatch.setattr(BertModel, "forward", forward)
    app.text_area(key="text").set_value(text).run()
    assert not app.exception
    assert any(
        e.startswith("Cannot run the model on this text: not enough memory for") and "try a shorter text" in e
        for e in texts(app.error)
    ), texts(app.error)  # an error, not a note about the text
    assert heatmaps(app) == 0
    app.switch_page("pages/syntax.py").run()
    assert not app.exception
    assert any(e.startswith("Cannot score this sentence: not enough memory for") for e in texts(app.error))

    monkeypatch.undo()  # memory is back: the same text now runs (no failure or half result was cached)
    app.switch_page("pages/heads.py").run()
    assert not app.exception and not app.error
    assert not [i for i in texts(app.info) if i.startswith("Nothing to show")]  # the answer line is the only note
    assert heatmaps(app) == 12


# --- the shared model is only read ---------------------------------------------------------


def test_the_shared_model_records_no_gradient(loaded):
    import torch

    seen = []
    handle = loaded.model.register_forward_hook(lambda module, inputs, output: seen.append(output))
    try:
        attention.run(loaded, "The black cat sat on the mat.")
        attention.run_batch(loaded, ["A dog barked.", "Two birds sang loudly."])
    finally:
        handle.remove()
    assert len(seen) == 2
    for output in seen:
        for layer in output.attentions:
            assert layer.grad_fn is None and not layer.requires_grad
            assert torch.is_inference(layer)  # made under torch.inference_mode()
    assert all(p.grad is None for p in loaded.model.parameters())
    assert not loaded.model.training


# --- upload caps ---------------------------------------------------------------------------


def test_caps_default_and_come_from_environment_then_secrets():
    assert (Policy().max_upload_bytes, Policy().max_upload_sentences, Policy().max_sentence_chars) == (
        5_000_000,
        5_000,
        1_000,
    )
    assert (corpus.MAX_BYTES, corpus.MAX_SENTENCES, corpus.MAX_SENTENCE_CHARS) == (5_000_000, 5_000, 1_000)
    env = {"HEADSCOPE_MAX_UPLOAD_BYTES": "1_000_000", "HEADSCOPE_MAX_UPLOAD_SENTENCES": "50"}
    p = Policy.from_settings(env=env, secrets={"max_upload_sentences": 7, "max_sentence_chars": 200})
    assert (p.max_upload_bytes, p.max_upload_sentences, p.max_sentence_chars) == (1_000_000, 50, 200)


@pytest.mark.parametrize(
    "value, problem",
    [
        ("lots", "'lots' is not a number"),
        ("-5", "'-5' is not a positive"),
        ("0", "'0' is not a positive"),
        ("2.5", "'2.5' is not a positive"),
    ],
)
def test_bad_caps_are_refused_naming_the_setting(value, problem):
    with pytest.raises(SettingsError, match=f"HEADSCOPE_MAX_UPLOAD_SENTENCES is not usable: {problem}"):
        Policy.from_settings(env={"HEADSCOPE_MAX_UPLOAD_SENTENCES": value})
    with pytest.raises(SettingsError, match=r"\[headscope\] max_sentence_chars in secrets.toml"):
        Policy.from_settings(env={}, secrets={"max_sentence_chars": -1})


def test_caps_are_applied_to_uploads():
    three = b"The dog barked.\nA cat slept.\nBirds sang.\n"
    assert len(corpus.read_upload(three, "ok.txt").parses) == 3
    with pytest.raises(ParseError, match="has 3 sentences; the limit is 2"):
        corpus.read_upload(three, "x.txt", policy=Policy(max_upload_sentences=2))
    with pytest.raises(ParseError, match="line 1: longer than 10 characters"):
        corpus.read_upload(three, "x.txt", policy=Policy(max_sentence_chars=10))
    with pytest.raises(ParseError, match=r"x.txt is 0.0 MB \(41 bytes\); the limit is 0.0 MB \(40 bytes\)"):
        corpus.read_upload(three, "x.txt", policy=Policy(max_upload_bytes=40))
    from tests.test_atlas import CONLLU

    with pytest.raises(ParseError, match="the limit is 1"):
        corpus.read_upload((CONLLU + "\n" + CONLLU).encode(), "x.conllu", policy=Policy(max_upload_sentences=1))


def test_a_100_mb_upload_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(corpus, "parse_many", lambda *a, **k: pytest.fail("parsed an oversized corpus"))
    with pytest.raises(ParseError, match="big.txt is 100.0 MB; the limit is 5.0 MB"):
        corpus.read_upload(b"The cat sat.\n" * (100_000_000 // 13 + 1), "big.txt")


def test_a_100_mb_upload_in_the_app_is_refused_before_parsing(fresh_policy):
    # Spies (they call the real functions) show that the upload is neither read nor parsed.
    calls = []
    for name in ("read_upload", "parse_many"):
        real = getattr(corpus, name)
        fresh_policy.setattr(
            corpus, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )
    app = on_page("pages/atlas.py", atlas_source="upload")
    uploader = app.file_uploader(key="atlas_upload")
    assert "At most 5.0 MB, 5,000 sentences, 1,000 characters a line" in uploader.help
    data = b"The black cat sat on the mat.\n" * (100_000_000 // 30 + 1)  # 100 MB, made here
    start = time.perf_counter()
    uploader.upload("huge.txt", data, "text/plain").run()
    elapsed = time.perf_counter() - start
    assert not app.exception
    assert texts(app.error) == ["Cannot read this corpus: huge.txt is 100.0 MB; the limit is 5.0 MB."]
    assert calls == []
    print(f"100 MB upload refused in {elapsed:.2f} s (the whole AppTest run)")  # a figure, not asserted


def test_caps_from_the_environment_in_the_app(fresh_policy):
    fresh_policy.setenv("HEADSCOPE_MAX_UPLOAD_SENTENCES", "2")
    fresh_policy.setenv("HEADSCOPE_MAX_UPLOAD_BYTES", "2_000")
    app = on_page("pages/atlas.py", atlas_source="upload")
    assert "At most 0.0 MB (2,000 bytes), 2 sentences" in app.file_uploader(key="atlas_upload").help
    app.file_uploader(key="atlas_upload").upload("three.txt", b"The dog barked.\nA cat slept.\nBirds sang.\n").run()
    assert not app.exception
    assert texts(app.error) == ["Cannot read this corpus: three.txt has 3 sentences; the limit is 2."]
    app.file_uploader(key="atlas_upload").set_value(("big.txt", b"x" * 2_001, "text/plain")).run()
    assert texts(app.error) == [
        "Cannot read this corpus: big.txt is 0.0 MB (2,001 bytes); the limit is 0.0 MB (2,000 bytes)."
    ]
    app.file_uploader(key="atlas_upload").set_value(("two.txt", b"The dog barked.\nA cat slept.\n", "text/plain")).run()
    assert not app.exception and not app.error
    assert any("2 sentences" in m for m in texts(app.markdown))


def test_a_bad_cap_stops_the_app_with_one_message_then_a_fix_works(fresh_policy):
    fresh_policy.setenv("HEADSCOPE_MAX_UPLOAD_BYTES", "lots")
    app = run_app()
    assert texts(app.error) == [
        "This server is misconfigured: the setting HEADSCOPE_MAX_UPLOAD_BYTES is not "
        "usable: 'lots' is not a number. Ask its administrator to fix the setting "
        "(see .streamlit/secrets.example.toml)."
    ]
    assert heatmaps(app) == 0
    fresh_policy.delenv("HEADSCOPE_MAX_UPLOAD_BYTES")  # fixed; a failed read was not cached
    app.run()
    assert not app.exception and not app.error
    assert heatmaps(app) == 12


def test_a_link_naming_a_model_on_a_misconfigured_server_gets_the_same_message(fresh_policy):
    # links.apply_once reads the policy before the sidebar does
    fresh_policy.setenv("HEADSCOPE_MAX_UPLOAD_BYTES", "lots")
    app = linked_app({"model": "bert-base-uncased"})
    assert [e.startswith("This server is misconfigured") for e in texts(app.error)] == [True]


def test_the_report_leaves_out_syntax_when_the_parser_fails(monkeypatch):
    # the parser's failure injected at its boundary, as in the page tests above
    from components import cached, downloads
    from components.state import Settings

    s = Settings(
        model=BUNDLED_ID,
        text="A parser failure leaves the report whole.",
        whole_words=False,
        hide_special=False,
        target="",
        kind="encoder",
    )

    def broken(*args, **kwargs):
        raise ParseError("the parser failed on this text (ValueError: injected)")

    monkeypatch.setattr(syntax, "parse", broken)
    monkeypatch.setattr(syntax, "parse_many", broken)  # the server's parses: its sessions' texts piped together
    cached.sentence_parse.clear()
    html = downloads.report_html(s)
    assert "A parser failure leaves the report whole." in html and "L0H0" in html
    monkeypatch.undo()
    cached.sentence_parse.clear()
    cached.sentence_syntax.clear()
    assert len(downloads.report_html(s)) > len(html)  # with the syntax part once the parser works


def test_upload_caps_are_the_servers_and_bad_caps_are_refused_in_the_cli(tmp_path):
    path = tmp_path / "three.txt"
    path.write_text("The dog barked.\nA cat slept.\nBirds sang.\n")
    for cap in ({"HEADSCOPE_MAX_UPLOAD_SENTENCES": "2"}, {"HEADSCOPE_MAX_UPLOAD_BYTES": "20"}):
        result = headscope("atlas", "--corpus", str(path), "--format", "json", **cap)  # any size on the CLI
        assert result.returncode == 0 and json.loads(result.stdout)["sentences"] == 3, (cap, result.stderr)
    one_line_error(
        headscope("attention", "The cat sat.", HEADSCOPE_MAX_SENTENCE_CHARS="-1"),
        "HEADSCOPE_MAX_SENTENCE_CHARS is not usable: '-1' is not a positive whole number",
    )


def test_an_upload_the_server_does_not_hold_says_to_upload_again(fresh_policy, monkeypatch):
    # A replica lost mid-upload: the browser still shows the file's chip and sends its id, and the
    # survivor has no such file. Here the file is never handed to the server (AppTest registers it).
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    app = on_page("pages/atlas.py", atlas_source="upload")
    assert not app.warning
    monkeypatch.setattr(LocalScriptRunner, "register_file", lambda self, rec: None)
    app.file_uploader(key="atlas_upload").upload("two.txt", b"The dog barked.\nA cat slept.\n", "text/plain").run()
    assert not app.exception and not app.error
    assert any("remove it and upload it again" in w for w in texts(app.warning)), texts(app.warning)
    monkeypatch.undo()  # uploaded again: the atlas, and no such message
    app.file_uploader(key="atlas_upload").upload("two.txt", b"The dog barked.\nA cat slept.\n", "text/plain").run()
    assert not app.exception and not any("upload it again" in w for w in texts(app.warning))
