"""Any model: every family through the local-folder path, the hub cache, the policy and its refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from headscope import attention, families, models, words
from headscope.errors import ModelError
from headscope.policy import Policy
from tests import tiny
from tests.support import ROOT, headscope, one_line_error

TEXT = "The small dog barked at the mailman."


def _direct(folder: Path, text: str, family: str) -> np.ndarray:
    """Attention straight from transformers, as a reference."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()
    enc = tok(text, return_tensors="pt")
    kwargs = {"output_attentions": True}
    if family in tiny.ENCODER_DECODERS:
        start = model.config.decoder_start_token_id
        kwargs["decoder_input_ids"] = torch.tensor([[start]])
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], **kwargs)
    layers = out.encoder_attentions if family in tiny.ENCODER_DECODERS else out.attentions
    return np.stack([a[0].numpy() for a in layers])


@pytest.mark.parametrize("family", tiny.ALL_FAMILIES)
def test_cli_attention_equals_a_direct_transformers_call(tiny_folders, family):
    folder = tiny_folders[family]
    result = headscope("attention", TEXT, "--model", str(folder), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    got = np.array(doc["attention"], dtype=np.float32)
    np.testing.assert_allclose(got, _direct(folder, TEXT, family), atol=1e-5)
    assert doc["model"] == str(folder)


@pytest.mark.parametrize("family", tiny.ALL_FAMILIES)
def test_families_load_with_their_facts(tiny_folders, family):
    loaded = models.load(str(tiny_folders[family]))
    expected = {"gpt2": "decoder", "bart": "encoder-decoder", "t5": "encoder-decoder"}.get(family, "encoder")
    assert loaded.family == expected
    assert (loaded.num_layers, loaded.num_heads) == (2, 4)
    assert loaded.num_params > 1000
    att = attention.run(loaded, TEXT)
    assert att.causal == (family == "gpt2")
    np.testing.assert_allclose(att.weights.sum(-1), 1.0, atol=1e-5)
    if family == "gpt2":
        assert np.all(np.triu(att.weights, 1) == 0)
    assert loaded.max_tokens == (512 if family == "t5" else 64)  # T5: relative positions, the tokenizer limits


def test_roberta_keeps_two_positions_for_padding(tiny_folders):
    assert models.load(str(tiny_folders["roberta"])).max_tokens == 64  # 66 positions - 2


@pytest.mark.parametrize("family", tiny.ENCODER_DECODERS)
def test_encoder_decoder_three_kinds(tiny_folders, family):
    loaded = models.load(str(tiny_folders[family]))
    parts = attention.run_seq2seq(loaded, "The cat sat.", "Die Katze sass.")
    enc, dec, cross = parts["encoder"], parts["decoder"], parts["cross"]
    assert enc.tokens == attention.run(loaded, "The cat sat.").tokens
    assert dec.causal and dec.special[0] and dec.num_tokens == len(dec.tokens)
    assert cross.weights.shape[2:] == (dec.num_tokens, enc.num_tokens)
    assert cross.columns[0] == enc.tokens and not cross.square
    for a in parts.values():
        np.testing.assert_allclose(a.weights.sum(-1), 1.0, atol=1e-5)
    merged = words.merge(attention.without_special(cross))
    assert merged.columns.tokens == ("The", "cat", "sat", ".")
    assert merged.tokens[:2] == ("die", "katze") or merged.tokens[0].lower() == "die"
    np.testing.assert_allclose(merged.weights.sum(-1), 1.0, atol=1e-5)
    assert attention.run(loaded, "The cat sat.", "Die Katze.", kind="cross").kind == "cross"


@pytest.mark.parametrize("offline", ["1", None])
def test_hub_id_from_the_local_cache(tiny_folders, tmp_path, offline):
    """A hub id resolves in an HF_HOME laid out as the hub client does, with or without HF_HUB_OFFLINE=1.

    Without it, the cache is still read first: no request reaches the network.
    """
    repo = tmp_path / "hf" / "hub" / "models--headscope-tests--tiny-bert"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_folders["bert"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"))
    env.pop("HF_HUB_OFFLINE", None)
    if offline:
        env["HF_HUB_OFFLINE"] = offline
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "headscope",
            "attention",
            TEXT,
            "--model",
            "headscope-tests/tiny-bert",
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["model"] == "headscope-tests/tiny-bert"
    np.testing.assert_allclose(np.array(doc["attention"]), _direct(tiny_folders["bert"], TEXT, "bert"), atol=1e-5)
    missing = subprocess.run(
        [sys.executable, "-m", "headscope", "attention", TEXT, "--model", "headscope-tests/other"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert missing.returncode == 2
    assert "not in the local cache and the hub cannot be reached" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1  # no retry chatter


def test_cli_cross_attention(tiny_folders):
    result = headscope(
        "attention",
        "The cat sat.",
        "--model",
        str(tiny_folders["bart"]),
        "--target",
        "Die Katze.",
        "--kind",
        "cross",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["key_tokens"] == ["[CLS]", "the", "cat", "sat", ".", "[SEP]"]
    assert np.array(doc["attention"]).shape == (2, 4, len(doc["tokens"]), 6)


# --- errors, each with its message -------------------------------------------------


def test_folder_without_config(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        models.load(str(tmp_path))


def test_missing_folder(tmp_path):
    with pytest.raises(ModelError, match="there is no folder"):
        models.load(str(tmp_path / "nope"))


def test_weights_missing(tiny_folders, tmp_path):
    folder = tmp_path / "noweights"
    shutil.copytree(tiny_folders["bert"], folder)
    for f in folder.glob("*.safetensors"):
        f.unlink()
    with pytest.raises(ModelError, match="has no weights"):
        models.load(str(folder))


def test_architecture_without_attention(tmp_path):
    folder = tiny.make("mamba", tmp_path / "mamba")
    with pytest.raises(ModelError, match="does not return attention weights"):
        models.load(str(folder))


def test_model_that_needs_remote_code(tmp_path):
    folder = tmp_path / "remote"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps(
            {
                "model_type": "headscope-custom",
                "auto_map": {"AutoConfig": "configuration_x.XConfig", "AutoModel": "modeling_x.XModel"},
            }
        )
    )
    (folder / "modeling_x.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(ModelError, match="never runs such code"):
        models.load(str(folder))


def test_unknown_hub_id_shape():
    with pytest.raises(ModelError, match="is not a hub model id"):
        models.load("not a model!")


def test_model_larger_than_the_cap(tiny_folders):
    with pytest.raises(ModelError, match="this server allows at most 1,000"):
        models.load(str(tiny_folders["bert"]), Policy(max_params=1000))
    with pytest.raises(ModelError, match="bytes on disk; this server allows at most 10"):
        models.load(str(tiny_folders["bert"]), Policy(max_bytes=10))


def test_token_cap(tiny_folders):
    loaded = models.load(str(tiny_folders["bert"]), Policy(max_tokens=8))
    att = attention.run(loaded, TEXT)
    assert att.num_tokens == 8 and att.dropped > 0


def test_tokenizer_that_fails_on_the_text(loaded):
    with pytest.raises(attention.InputError, match="tokenizer could not read"):
        attention.run(loaded, "bad \ud800 surrogate")


# --- the policy ---------------------------------------------------------------------


def test_allow_list(tiny_folders):
    policy = Policy(allowed=("gpt2",))
    with pytest.raises(ModelError, match="not on this server's list of allowed models: gpt2"):
        models.resolve(str(tiny_folders["bert"]), policy)
    assert models.resolve(models.BUNDLED_ID, policy)[0] == models.BUNDLED_ID  # always allowed


def test_local_folders_forbidden_or_confined(tiny_folders, tmp_path):
    with pytest.raises(ModelError, match="does not load models from local folders"):
        models.resolve(str(tiny_folders["bert"]), Policy(allow_local=False))
    root = tiny_folders["bert"].parent
    assert models.resolve(str(tiny_folders["bert"]), Policy(local_root=str(root)))[1] == str(tiny_folders["bert"])
    for escape in (f"{root}/../elsewhere", f"{root}/bert/../../", "/etc", "~"):
        with pytest.raises(ModelError, match=f"must be inside {root}"):
            models.resolve(escape, Policy(local_root=str(root)))
    link = root / "sneaky"
    link.symlink_to(tmp_path)
    with pytest.raises(ModelError, match="must be inside"):
        models.resolve(str(link), Policy(local_root=str(root)))


def test_hub_downloads_forbidden(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="does not download models"):
        models.inspect("headscope-tests/not-cached", Policy(allow_hub=False))


def test_policy_from_environment_and_secrets():
    env = {
        "HEADSCOPE_ALLOWED_MODELS": "gpt2, bert-base-uncased",
        "HEADSCOPE_ALLOW_HUB": "0",
        "HEADSCOPE_MAX_PARAMS": "200_000_000",
        "HEADSCOPE_MAX_TOKENS": "128",
    }
    p = Policy.from_settings(env=env, secrets={"allow_local": False, "max_tokens": 999, "local_root": "/models"})
    assert p.allowed == ("gpt2", "bert-base-uncased")
    assert (p.allow_hub, p.allow_local, p.local_root) == (False, False, "/models")
    assert (p.max_params, p.max_tokens, p.max_bytes) == (200_000_000, 128, None)  # environment wins
    assert Policy.from_settings(env={}) == Policy()
    with pytest.raises(ModelError, match="not a number"):
        Policy.from_settings(env={"HEADSCOPE_MAX_PARAMS": "lots"})


# --- a model refused from its config alone (issue 28) ---------------------------------------


def _resized(source: Path, folder: Path, **fields) -> Path:
    """A copy of a tiny model folder whose config.json says other sizes."""
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **fields}))
    return folder


def _no_module_built(monkeypatch) -> list[str]:
    """The torch modules built from now on, by class name (a refusal must build none)."""
    built: list[str] = []
    original = torch.nn.Module.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "__init__", counting)
    return built


@pytest.mark.parametrize("layers", [20_000, 1_000_000])
def test_a_huge_config_is_refused_before_any_module_is_built(tiny_folders, tmp_path, monkeypatch, layers):
    folder = _resized(tiny_folders["bert"], tmp_path / "huge", num_hidden_layers=layers)
    built = _no_module_built(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(ModelError, match=f"config.json: num_hidden_layers is {layers}; at most 1,024"):
        models.load(str(folder))
    seconds = time.perf_counter() - start
    assert built == []
    assert seconds < 5, seconds  # was 120 s and more (the skeleton of 20,000 layers was built)


def test_the_cli_refuses_a_huge_config_in_one_line(tiny_folders, tmp_path):
    folder = _resized(tiny_folders["bert"], tmp_path / "huge", num_hidden_layers=20_000)
    result = headscope("attention", "The cat sat.", "--model", str(folder))
    one_line_error(result, "num_hidden_layers is 20000", "at most 1,024")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"vocab_size": 100_000_000}, "vocab_size is 100000000; at most"),
        ({"hidden_size": -1}, "hidden_size is -1; it must be a whole number"),
        ({"max_position_embeddings": 10**9}, "max_position_embeddings is 1000000000; at most"),
    ],
)
def test_each_sizing_field_is_named(tiny_folders, tmp_path, monkeypatch, fields, words):
    folder = _resized(tiny_folders["bert"], tmp_path / "odd", **fields)
    built = _no_module_built(monkeypatch)
    with pytest.raises(ModelError, match=re.escape(words)):
        models.inspect(str(folder))
    assert built == []


def test_a_config_over_the_cap_is_refused_unbuilt_with_its_fields(tiny_folders, tmp_path, monkeypatch):
    folder = _resized(tiny_folders["bert"], tmp_path / "big", num_hidden_layers=1_000, hidden_size=512)
    built = _no_module_built(monkeypatch)
    with pytest.raises(
        ModelError, match=r"about [\d,]+ parameters \(config.json: num_hidden_layers 1000, hidden_size 512"
    ):
        models.load(str(folder), Policy(max_params=200_000_000))
    assert built == []


def test_a_config_beyond_this_machines_memory_is_refused(tiny_folders, tmp_path, monkeypatch):
    folder = _resized(tiny_folders["bert"], tmp_path / "wide", hidden_size=65_536, intermediate_size=262_144)
    monkeypatch.setattr(models, "memory_bytes", lambda: 8 * 2**30)
    with pytest.raises(ModelError, match=r"needs about [\d,.]+ GB of memory .*this machine has 8.6 GB"):
        models.inspect(str(folder))


@pytest.mark.parametrize("family", tiny.ALL_FAMILIES)
def test_the_estimate_is_close_to_the_count(tiny_folders, family):
    info = models.inspect(str(tiny_folders[family]))
    assert abs(families.estimate_params(info.config) / info.num_params - 1) < 0.05


# --- the hub's time limit (issue 28) -------------------------------------------------------


@pytest.fixture
def silent_hub():
    """A local endpoint that accepts connections and never answers: its URL."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # kept open, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_hub_that_never_answers_is_given_up_after_the_limit(silent_hub, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT=silent_hub, HF_HOME=str(tmp_path / "hf"), HEADSCOPE_HUB_TIMEOUT="2")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "headscope", "attention", "The cat sat.", "--model", "org/x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 + 90,  # the limit, and a margin for the imports on a busy machine (it hung for 400 s and more)
    )
    line = one_line_error(result, "'org/x'", "within the time limit of 2 s (HEADSCOPE_HUB_TIMEOUT)")
    print(f"{time.perf_counter() - start:.1f} s: {line}")


def test_the_hub_limit_is_a_setting():
    assert Policy().hub_timeout == 30 and Policy().download_timeout == 1_800
    assert Policy.from_settings(env={"HEADSCOPE_HUB_TIMEOUT": "5"}).hub_timeout == 5
    with pytest.raises(ModelError, match="HEADSCOPE_HUB_TIMEOUT is not usable"):
        Policy.from_settings(env={"HEADSCOPE_HUB_TIMEOUT": "soon"})


def test_within_hands_back_the_result_or_the_error():
    assert models.within(5, lambda: 7, "x", "S") == 7
    with pytest.raises(KeyError):
        models.within(5, lambda: {}["k"], "x", "S")
    with pytest.raises(models.HubTimeout, match=r"within the time limit of 0.1 s \(S\)"):
        models.within(0.1, lambda: time.sleep(2), "sending x", "S")
