"""Heads switched off: knockout against a hook written here, importance against one-at-a-time knockouts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from headscope import knockout, models, syntax
from headscope.attention import InputError
from tests import tiny
from tests.conftest import SENTENCE
from tests.support import headscope, one_line_error

MASKED_SENTENCE = "The keys to the old cabinet [MASK] on the table."


# --- an independent knockout: where each family keeps its output projection, written out here ---


def _out_projection(model, family: str, layer: int):
    """The module whose input is layer `layer`'s heads side by side (found here, not through headscope)."""
    if family in ("bert", "roberta", "electra", "deberta"):
        return model.encoder.layer[layer].attention.output.dense
    if family == "distilbert":
        return model.transformer.layer[layer].attention.out_lin
    if family == "albert":  # one module shared by every layer
        return model.encoder.albert_layer_groups[0].albert_layers[0].attention.dense
    if family == "gpt2":
        return model.h[layer].attn.c_proj
    if family == "bart":
        return model.encoder.layers[layer].self_attn.out_proj
    if family == "t5":
        return model.encoder.block[layer].layer[0].SelfAttention.o
    raise ValueError(family)


def _independent(loaded, family: str, text: str, heads, mean: bool = False, model=None):
    """(attention [L, H, T, T], last hidden state [T, D], logits or None) with `heads` knocked out by hooks here."""
    import torch

    model = model if model is not None else loaded.model
    base = model.base_model
    enc = loaded.tokenizer(text, return_tensors="pt")
    n_heads = loaded.num_heads
    calls = {"n": 0}

    def layer_of(default: int) -> int:
        if family != "albert":
            return default
        calls["n"] += 1
        return calls["n"] - 1

    def run(edit):
        hooks = []
        modules = []
        for layer in range(loaded.num_layers):
            module = _out_projection(base, family, layer)
            if any(module is m for m in modules):
                continue
            modules.append(module)
            hooks.append(
                module.register_forward_pre_hook(
                    lambda _m, args, layer=layer: (edit(layer_of(layer), args[0]),) + tuple(args[1:])
                )
            )
        calls["n"] = 0
        try:
            with torch.no_grad():
                if family in ("bart", "t5"):
                    out = model.encoder(
                        input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_attentions=True
                    )
                    hidden = out.last_hidden_state
                else:
                    out = model(
                        input_ids=enc["input_ids"],
                        attention_mask=enc["attention_mask"],
                        output_attentions=True,
                        output_hidden_states=True,
                    )
                    hidden = out.hidden_states[-1]
        finally:
            for hook in hooks:
                hook.remove()
        return (
            torch.stack(out.attentions, 1)[0].numpy(),
            hidden[0].numpy(),
            out.logits[0] if hasattr(out, "logits") else None,
        )

    seen: dict[int, np.ndarray] = {}

    def record(layer, x):
        seen[layer] = x[0].mean(dim=0).clone()
        return x

    intact = run(record)

    def zero(layer, x):
        x = x.clone()
        d_k = x.shape[-1] // n_heads
        for off_layer, h in heads:
            if off_layer == layer:
                x[..., h * d_k : (h + 1) * d_k] = seen[layer][h * d_k : (h + 1) * d_k] if mean else 0.0
        return x

    return intact, run(zero)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    """numpy cosine."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- the bundled model --------------------------------------------------------------------


@pytest.mark.parametrize("heads", [[(2, 8)], [(0, 3), (4, 11)], [(5, 0)]])
def test_bundled_knockout_equals_a_hook_written_here(loaded, heads):
    k = knockout.knockout(loaded, SENTENCE, heads)
    (att0, h0, _), (att1, h1, _) = _independent(loaded, "bert", SENTENCE, heads)
    np.testing.assert_allclose(k.intact.weights, att0, atol=1e-5)
    np.testing.assert_allclose(k.knocked_out.weights, att1, atol=1e-5)
    assert k.embedding_cosine == pytest.approx(_cos(h0.mean(0), h1.mean(0)), abs=1e-5)  # the folder says mean
    per_token = [1 - _cos(a, b) for a, b in zip(h0, h1)]
    np.testing.assert_allclose(k.token_change, per_token, atol=1e-5)
    assert k.pooling == ("mean",) and k.task == knockout.EMBEDDING and k.predictions is None
    assert k.embedding_cosine < 1 - 1e-5  # something did change


def test_layers_up_to_the_knocked_out_head_are_unchanged(loaded):
    k = knockout.knockout(loaded, SENTENCE, [(3, 5)])
    assert np.array_equal(k.knocked_out.weights[:4], k.intact.weights[:4])  # its own layer too: weights come first
    assert np.abs(k.difference[4:]).max() > 1e-4
    assert k.first_changed_layer() == 4
    assert k.difference.shape == k.intact.weights.shape == (6, 12, 10, 10)


def test_all_heads_of_a_layer_leave_only_the_projection_bias(loaded):
    dense = loaded.model.encoder.layer[2].attention.output.dense
    seen = []
    hook = dense.register_forward_hook(lambda _m, _a, out: seen.append(out.detach().clone()))
    try:
        knockout.knockout(loaded, SENTENCE, [(2, h) for h in range(12)])
    finally:
        hook.remove()
    import torch

    rows = torch.cat(seen)  # the intact run, then the knockout (in one batch or two)
    intact, knocked = rows[0].numpy(), rows[-1].numpy()
    bias = dense.bias.detach().numpy()
    np.testing.assert_allclose(knocked, np.broadcast_to(bias, knocked.shape), atol=1e-6)
    assert np.abs(intact - bias).max() > 1e-2


def test_mean_ablation_equals_a_hook_written_here(loaded):
    heads = [(1, 2), (3, 7)]
    k = knockout.knockout(loaded, SENTENCE, heads, ablation="mean")
    _, (att1, h1, _) = _independent(loaded, "bert", SENTENCE, heads, mean=True)
    (_, h0, _), _ = _independent(loaded, "bert", SENTENCE, heads)
    np.testing.assert_allclose(k.knocked_out.weights, att1, atol=1e-5)
    assert k.embedding_cosine == pytest.approx(_cos(h0.mean(0), h1.mean(0)), abs=1e-5)
    zero = knockout.knockout(loaded, SENTENCE, heads, ablation="zero")
    assert np.abs(zero.knocked_out.weights - k.knocked_out.weights).max() > 1e-4


def test_arcs_report_subject_verb_and_adjective_noun(loaded):
    k = knockout.knockout(loaded, SENTENCE, [(2, 8)], parse=syntax.parse(SENTENCE))
    found = {(a.relation, a.direction, a.source, a.target) for a in k.arcs}
    assert ("nsubj", "dependent->head", "cat", "sat") in found
    assert ("amod", "dependent->head", "black", "cat") in found
    words = syntax.word_attention(k.knocked_out, syntax.parse(SENTENCE))
    arc = next(a for a in k.arcs if a.relation == "amod" and a.direction == "dependent->head")
    np.testing.assert_allclose(arc.knocked_out, words.weights[:, :, 1, 2])  # black -> cat
    assert np.array_equal(arc.change[:3], np.zeros((3, 12)))  # before the knocked-out head's next layer


def test_batched_importance_equals_one_at_a_time(loaded):
    text = "The 7 black cats sat on mat 7."  # 10 tokens
    imp = knockout.importance(loaded, text)
    assert imp.effect.shape == (6, 12) and imp.gradient is None
    assert imp.measure == knockout.MEASURES[knockout.EMBEDDING]
    assert imp.effect.max() > 1e-2 and (imp.effect > 0).all()  # every head changes the embedding a little
    for layer, head in [(0, 0), (2, 8), (4, 3), (5, 11), (5, 6)]:
        one = knockout.knockout(loaded, text, [(layer, head)])
        assert imp.effect[layer, head] == pytest.approx(1 - one.embedding_cosine, abs=1e-5)
    mean = knockout.importance(loaded, text, ablation="mean")
    for layer, head in [(1, 4), (5, 11)]:
        one = knockout.knockout(loaded, text, [(layer, head)], ablation="mean")
        assert mean.effect[layer, head] == pytest.approx(1 - one.embedding_cosine, abs=1e-5)


def test_bad_heads_and_ablation_say_what_to_do(loaded):
    with pytest.raises(InputError, match="L2H8"):
        knockout.parse_heads("L2X8", 6, 12)
    with pytest.raises(InputError, match="layers 0-5, heads 0-11"):
        knockout.parse_heads("L6H0", 6, 12)
    with pytest.raises(InputError, match="no heads"):
        knockout.parse_heads(" , ", 6, 12)
    assert knockout.parse_heads("l3h1, L2H8,L2H8", 6, 12) == ((2, 8), (3, 1))
    with pytest.raises(InputError, match="zero, mean"):
        knockout.knockout(loaded, SENTENCE, [(0, 0)], ablation="half")
    with pytest.raises(InputError, match="no heads"):
        knockout.knockout(loaded, SENTENCE, [])


def test_pooling_is_read_from_the_folder(tmp_path):
    assert knockout.pooling_modes(models.bundled_path()) == ("mean",)
    assert knockout.pooling_modes(tmp_path) == ("mean",)  # nothing declared
    (tmp_path / "modules.json").write_text(
        json.dumps([{"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}])
    )
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    assert knockout.pooling_modes(tmp_path) == ("cls",)
    hidden = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.testing.assert_allclose(knockout.pool(hidden, np.array([[1, 1, 0]]), ("cls",)), hidden[:, 0])
    np.testing.assert_allclose(knockout.pool(hidden, np.array([[1, 1, 0]]), ("mean",)), hidden[:, :2].mean(1))


# --- tiny models of every family ----------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_loaded(tiny_folders):
    return {family: models.load(str(tiny_folders[family])) for family in tiny.ALL_FAMILIES}


@pytest.mark.parametrize("family", tiny.ALL_FAMILIES)
def test_every_family_equals_a_hook_written_here(tiny_loaded, family):
    loaded = tiny_loaded[family]
    text = "A tiny model reads this sentence."
    for heads in ([(0, 1)], [(1, 0), (1, 3)], [(0, 2), (1, 2)]):
        k = knockout.knockout(loaded, text, heads)
        (att0, h0, _), (att1, h1, _) = _independent(loaded, family, text, heads)
        np.testing.assert_allclose(k.intact.weights, att0, atol=1e-5)
        np.testing.assert_allclose(k.knocked_out.weights, att1, atol=1e-5)
        assert k.embedding_cosine == pytest.approx(_cos(h0.mean(0), h1.mean(0)), abs=1e-5)
        if heads[0][0] == 0:
            assert np.abs(k.difference[1]).max() > 0  # a later layer did change
    imp = knockout.importance(loaded, text)
    one = knockout.knockout(loaded, text, [(1, 2)])
    assert imp.effect[1, 2] == pytest.approx(1 - one.embedding_cosine, abs=1e-5)


def _tiny_lm(folder, family: str):
    """A tiny random masked LM (bert) or decoder with its LM head (gpt2), saved with the bundled tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    torch.manual_seed(1)
    auto = AutoModelForMaskedLM if family == "bert" else AutoModelForCausalLM
    auto.from_config(tiny.config_for(family)).save_pretrained(folder)
    AutoTokenizer.from_pretrained(models.bundled_path()).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_lms(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-lms")
    return {family: _tiny_lm(root / family, family) for family in ("bert", "gpt2")}


def _top5(logits) -> list[int]:
    import torch

    return torch.softmax(logits.float(), -1).topk(5).indices.tolist()


def test_masked_lm_top5_before_and_after(tiny_lms):
    from transformers import AutoModelForMaskedLM

    loaded = models.load(str(tiny_lms["bert"]))
    heads = [(0, 1), (1, 2)]
    k = knockout.knockout(loaded, MASKED_SENTENCE, heads)
    assert k.task == knockout.MASKED and k.embedding_cosine is None
    mask = loaded.tokenizer(MASKED_SENTENCE)["input_ids"].index(loaded.tokenizer.mask_token_id)
    assert [p.position for p in k.predictions] == [mask]
    lm = AutoModelForMaskedLM.from_pretrained(tiny_lms["bert"], attn_implementation="eager").eval()
    (att0, _, logits0), (att1, _, logits1) = _independent(loaded, "bert", MASKED_SENTENCE, heads, model=lm)
    np.testing.assert_allclose(k.knocked_out.weights, att1, atol=1e-5)
    tok = loaded.tokenizer
    p = k.predictions[0]
    assert [w.word for w in p.intact] == tok.convert_ids_to_tokens(_top5(logits0[mask]))
    assert [w.word for w in p.knocked_out] == tok.convert_ids_to_tokens(_top5(logits1[mask]))
    import torch

    probs = torch.softmax(logits1[mask], -1)
    assert [w.probability for w in p.knocked_out] == pytest.approx(probs.topk(5).values.tolist(), abs=1e-6)
    imp = knockout.importance(loaded, MASKED_SENTENCE)
    assert imp.measure == knockout.MEASURES[knockout.MASKED] and imp.gradient.shape == (2, 4)


def test_decoder_next_word_before_and_after(tiny_lms):
    from transformers import AutoModelForCausalLM

    loaded = models.load(str(tiny_lms["gpt2"]))
    text = "The keys to the old cabinet"
    heads = [(0, 0)]
    k = knockout.knockout(loaded, text, heads)
    assert k.task == knockout.NEXT and k.embedding_cosine is None
    last = len(k.intact.tokens) - 1
    lm = AutoModelForCausalLM.from_pretrained(tiny_lms["gpt2"], attn_implementation="eager").eval()
    (_, _, logits0), (_, _, logits1) = _independent(loaded, "gpt2", text, heads, model=lm)
    tok = loaded.tokenizer
    (p,) = k.predictions
    assert p.position == last
    assert [w.word for w in p.intact] == tok.convert_ids_to_tokens(_top5(logits0[last]))
    assert [w.word for w in p.knocked_out] == tok.convert_ids_to_tokens(_top5(logits1[last]))
    imp = knockout.importance(loaded, text)
    assert imp.measure == knockout.MEASURES[knockout.NEXT]


def test_gradient_score_matches_finite_differences(tiny_lms):
    """Michel et al.'s |d loss / d gate|, checked against the loss with one head scaled by 1 +- eps."""
    import torch
    from transformers import AutoModelForCausalLM

    loaded = models.load(str(tiny_lms["gpt2"]))
    text = "The keys to the old cabinet are on the table."
    grad = knockout.gradient_importance(loaded, text)
    lm = AutoModelForCausalLM.from_pretrained(tiny_lms["gpt2"], attn_implementation="eager").eval().double()
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    eps = 1e-2  # in float64, the central difference's error is ~eps^2

    def loss(layer, head, scale):
        def pre(_m, args):
            x = args[0].clone()
            x[..., head * 8 : (head + 1) * 8] *= scale
            return (x,)

        hook = lm.transformer.h[layer].attn.c_proj.register_forward_pre_hook(pre)
        try:
            with torch.no_grad():
                logits = lm(input_ids=ids).logits[0]  # float64 (transformers' own loss casts to float32)
                return float(torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:]))
        finally:
            hook.remove()

    for layer, head in [(0, 1), (1, 3)]:
        numeric = abs(loss(layer, head, 1 + eps) - loss(layer, head, 1 - eps)) / (2 * eps)
        assert grad[layer, head] == pytest.approx(numeric, rel=1e-2, abs=1e-6)
    assert knockout.gradient_importance(models.load(), SENTENCE) is None  # no loss for a sentence embedding
    assert not any(p.grad is not None for p in lm.parameters())


def test_corpus_importance_is_the_mean_and_cached(tiny_loaded, tmp_path, monkeypatch):
    loaded = tiny_loaded["bert"]
    texts = ["A cat sat.", "Dogs bark at night."]
    both = knockout.corpus_importance(loaded, texts)
    mean = (knockout.importance(loaded, texts[0]).effect + knockout.importance(loaded, texts[1]).effect) / 2
    np.testing.assert_allclose(both.effect, mean, atol=1e-7)
    assert both.sentences == 2
    monkeypatch.setenv("HEADSCOPE_CACHE", str(tmp_path))
    first = knockout.bundled_importance(loaded)
    assert len(list(tmp_path.glob("importance-*.json"))) == 1
    again = knockout.bundled_importance(loaded)
    np.testing.assert_allclose(again.effect, first.effect, atol=1e-7)
    assert again.sentences == first.sentences > 300 and "bundled corpus" in again.measure


# --- the CLI ------------------------------------------------------------------------------


def test_cli_knockout_json():
    result = headscope("knockout", SENTENCE, "--heads", "L2H8,L3H1", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {
        "model",
        "tokens",
        "heads",
        "attention",
        "attention_intact",
        "embedding_cosine",
        "predictions",
        "ablation",
        "arcs",
        "token_change",
    } <= doc.keys()
    assert doc["heads"] == [[2, 8], [3, 1]] and doc["ablation"] == "zero" and doc["predictions"] is None
    att, intact = np.array(doc["attention"]), np.array(doc["attention_intact"])
    assert att.shape == intact.shape == (6, 12, len(doc["tokens"]), len(doc["tokens"]))
    assert np.array_equal(att[:3], intact[:3]) and not np.array_equal(att[3:], intact[3:])
    assert 0.9 < doc["embedding_cosine"] < 1
    assert {a["relation"] for a in doc["arcs"]} == {"nsubj", "amod"}


def test_cli_knockout_mean_and_text():
    result = headscope("knockout", SENTENCE, "--heads", "L0H0", "--ablation", "mean")
    assert result.returncode == 0, result.stderr
    assert "switched off: L0H0" in result.stdout and "cosine with the intact one" in result.stdout


def test_cli_importance_json():
    result = headscope("importance", SENTENCE, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"model", "tokens", "effect", "measure"} <= doc.keys()
    assert np.array(doc["effect"]).shape == (6, 12) and "cosine" in doc["measure"]
    assert doc["gradient"] is None and "no loss" in doc["gradient_measure"]


def test_cli_masked_lm_predictions(tiny_lms):
    result = headscope(
        "knockout", MASKED_SENTENCE, "--heads", "L1H0", "--model", str(tiny_lms["bert"]), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["embedding_cosine"] is None
    (position,) = doc["predictions"]["positions"]
    assert position["token"] == "[MASK]" and len(position["intact"]) == len(position["knocked_out"]) == 5


@pytest.mark.parametrize(
    "args, words",
    [
        (["--heads", "L9H0"], ["no head L9H0", "layers 0-5"]),
        (["--heads", "L1H12"], ["no head L1H12", "heads 0-11"]),
        (["--heads", "head2"], ["'head2' is not a head name", "L2H8"]),
        (["--heads", ""], ["no heads given"]),
        (["--heads", "L0H0", "--ablation", "half"], ["invalid choice", "--help"]),
        ([], ["--heads"]),
    ],
)
def test_cli_bad_heads_are_one_line_errors(args, words):
    one_line_error(headscope("knockout", SENTENCE, *args), *words)


def test_cli_unsupported_model_is_one_line_error(tmp_path):
    folder = tiny.make("xlnet", tmp_path / "xlnet")
    one_line_error(headscope("importance", "hello there", "--model", str(folder)), "cannot switch heads off")
