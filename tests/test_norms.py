"""Norm-weighted attention (Kobayashi et al. 2020) against an independent numpy computation.

The reference below reads each layer's attention input from the model's own
`hidden_states` (with GPT-2's and T5's layer norm applied in numpy), W_V, b_V and W_O
from the state dict by name, and alpha from the model's own `outputs.attentions`; it
shares no code with headscope.norms or headscope.qkv.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from headscope import attention, models, norms, words
from tests import tiny
from tests.conftest import SENTENCE, SPLIT_SENTENCE
from tests.support import headscope, one_line_error

TINY_TEXT = "A tiny model reads this."


# --- the independent reference ---------------------------------------------------------------


def _layer_norm(x: np.ndarray, sd: dict, name: str, eps: float) -> np.ndarray:
    """GPT-2's LayerNorm, in float64."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * sd[f"{name}.weight"] + sd[f"{name}.bias"]


def _rms_norm(x: np.ndarray, sd: dict, name: str, eps: float) -> np.ndarray:
    """T5's layer norm (no mean, no bias), in float64."""
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * sd[f"{name}.weight"]


def _names(family: str, layer: int, kind: str) -> tuple[str, str, bool]:
    """(value module, output module, Conv1D?) state-dict prefixes of one layer's attention."""
    if family in ("bert", "roberta", "electra"):
        return f"encoder.layer.{layer}.attention.self.value", f"encoder.layer.{layer}.attention.output.dense", False
    if family == "deberta":
        return (
            f"encoder.layer.{layer}.attention.self.value_proj",
            f"encoder.layer.{layer}.attention.output.dense",
            False,
        )
    if family == "distilbert":
        return f"transformer.layer.{layer}.attention.v_lin", f"transformer.layer.{layer}.attention.out_lin", False
    if family == "albert":  # one group, one layer: every layer shares these weights
        return (
            "encoder.albert_layer_groups.0.albert_layers.0.attention.value",
            "encoder.albert_layer_groups.0.albert_layers.0.attention.dense",
            False,
        )
    if family == "gpt2":
        return f"h.{layer}.attn.c_attn", f"h.{layer}.attn.c_proj", True
    side = "encoder" if kind == "encoder" else "decoder"
    if family == "bart":
        att = "encoder_attn" if kind == "cross" else "self_attn"
        return f"{side}.layers.{layer}.{att}.v_proj", f"{side}.layers.{layer}.{att}.out_proj", False
    att = "layer.1.EncDecAttention" if kind == "cross" else "layer.0.SelfAttention"  # t5
    return f"{side}.block.{layer}.{att}.v", f"{side}.block.{layer}.{att}.o", False


def _moved_norms(x: np.ndarray, sd: dict, value: str, out: str, conv1d: bool, heads: int) -> np.ndarray:
    """[head, token] ||(x W_V,h + b_V,h) W_O,h||, head by head, in float64."""
    w_v = sd[f"{value}.weight"]
    b_v = sd.get(f"{value}.bias")
    w_o = sd[f"{out}.weight"]
    width = w_o.shape[0] if conv1d else w_o.shape[1]
    d_k = width // heads
    result = []
    for h in range(heads):
        lo, hi = h * d_k, (h + 1) * d_k
        if conv1d:  # GPT-2: Conv1D stores [in, out]; c_attn's columns are Q, K, V
            wv, bv, wo = w_v[:, 2 * width + lo : 2 * width + hi], b_v[2 * width + lo : 2 * width + hi], w_o[lo:hi, :]
        else:  # nn.Linear stores [out, in]
            wv, bv, wo = w_v[lo:hi, :].T, (b_v[lo:hi] if b_v is not None else 0.0), w_o[:, lo:hi].T
        result.append(np.linalg.norm((x @ wv + bv) @ wo, axis=-1))
    return np.stack(result)


def reference(loaded: models.LoadedModel, text: str, kind: str = "encoder") -> np.ndarray:
    """alpha_ij * ||f_h(x_j)|| [layer, head, query, key], computed without headscope."""
    import torch

    model, config, tok = loaded.model, loaded.model.config, loaded.tokenizer
    family = "deberta" if config.model_type == "deberta-v2" else config.model_type
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    ids = tok(text)["input_ids"]
    kwargs = dict(input_ids=torch.tensor([ids]), output_attentions=True, output_hidden_states=True)
    if family in ("bart", "t5"):  # teacher forcing on the same text, after the decoder's start token
        kwargs["decoder_input_ids"] = torch.tensor([[config.decoder_start_token_id] + ids])
    with torch.no_grad():
        out = model(**kwargs)
    if family in ("bart", "t5"):
        alphas = {"encoder": out.encoder_attentions, "decoder": out.decoder_attentions, "cross": out.cross_attentions}[
            kind
        ]
        states = out.encoder_hidden_states if kind == "encoder" else out.decoder_hidden_states
    else:
        alphas, states = out.attentions, out.hidden_states
    layers = []
    for layer, alpha in enumerate(alphas):
        alpha = alpha[0].double().numpy()
        x = states[layer][0].double().numpy()  # what layer `layer` reads
        if kind == "cross":  # values come from the encoder's output
            x = out.encoder_last_hidden_state[0].double().numpy()
        if family == "gpt2":
            x = _layer_norm(x, sd, f"h.{layer}.ln_1", config.layer_norm_epsilon)
        if family == "t5" and kind != "cross":
            side = "encoder" if kind == "encoder" else "decoder"
            x = _rms_norm(x, sd, f"{side}.block.{layer}.layer.0.layer_norm", config.layer_norm_epsilon)
        value, out_name, conv1d = _names(family, layer, kind)
        moved = _moved_norms(x, sd, value, out_name, conv1d, alpha.shape[0])
        layers.append(alpha * moved[:, None, :])
    return np.stack(layers)


def assert_matches(result: np.ndarray, expected: np.ndarray) -> None:
    """Equal within 1e-5, relative to the largest value."""
    assert result.shape == expected.shape
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5 * float(np.abs(expected).max()))


# --- equality with the reference -------------------------------------------------------------


def test_bundled_model_equals_numpy(loaded):
    att = norms.run(loaded, SENTENCE)
    assert att.weighting == "norms" and att.tokens[0] == "[CLS]"
    assert_matches(att.weights, reference(loaded, SENTENCE))


@pytest.fixture(scope="module")
def tiny_models(tiny_folders):
    return {family: models.load(str(tiny_folders[family])) for family in tiny.FAMILIES + ("deberta",)}


@pytest.mark.parametrize("family", tiny.FAMILIES + ("deberta",))
def test_every_family_equals_numpy(tiny_models, family):
    loaded = tiny_models[family]
    att = norms.run(loaded, TINY_TEXT)
    assert att.weights.shape == (2, 4, len(att.tokens), len(att.tokens))
    assert_matches(att.weights, reference(loaded, TINY_TEXT))


@pytest.mark.parametrize("family", tiny.ENCODER_DECODERS)
@pytest.mark.parametrize("kind", ["encoder", "decoder", "cross"])
def test_encoder_decoder_kinds_equal_numpy(tiny_folders, family, kind):
    loaded = models.load(str(tiny_folders[family]))
    att = norms.run(loaded, TINY_TEXT, kind=kind)
    assert att.kind == kind
    assert_matches(att.weights, reference(loaded, TINY_TEXT, kind))


def test_norms_are_the_models_weights_times_one_number_per_key(loaded):
    measured = norms.measure(loaded, SENTENCE)
    plain = attention.run(loaded, SENTENCE)
    np.testing.assert_array_equal(measured.attention.weights, plain.weights)  # the same forward pass
    assert measured.norms.shape == (6, 12, 10) and (measured.norms > 0).all()
    weighted = measured.weighted.weights
    np.testing.assert_allclose(weighted, plain.weights * measured.norms[:, :, None, :], rtol=1e-6)
    assert not np.allclose(weighted.sum(-1), 1.0)  # not renormalised


def test_cls_sink_shrinks(loaded):
    """Kobayashi et al.: weighted by norms, less of each row goes to [CLS]."""
    plain = attention.run(loaded, SENTENCE)
    weighted = norms.run(loaded, SENTENCE)
    assert plain.tokens[0] == "[CLS]"
    share = lambda w: float((w[..., 0] / w.sum(-1)).mean())  # noqa: E731 - over layers, heads and rows
    assert share(weighted.weights) < share(plain.weights)


def test_words_and_without_special_work_on_norms(loaded):
    att = norms.run(loaded, SPLIT_SENTENCE)
    merged = words.merge(att)
    assert merged.weighting == "norms" and merged.level == "words"
    groups = words.word_groups(att.text, att.offsets, att.special)
    # TO a word: the sum over its pieces, so what a word moves is the sum of what its pieces move
    np.testing.assert_allclose(
        merged.weights.sum(-1), np.stack([att.weights[:, :, g].mean(2) for g in groups], axis=2).sum(-1), rtol=1e-5
    )
    kept = attention.without_special(att)  # the app's choice: rows renormalised over the other tokens
    assert kept.weighting == "norms"
    np.testing.assert_allclose(kept.weights.sum(-1), 1.0, atol=1e-5)


def test_other_threads_forward_passes_are_not_recorded(loaded):
    """The app shares one model between sessions: only this thread's run is measured."""
    sites = norms._sites(loaded, "encoder")
    with pytest.raises(RuntimeError, match="value projection"):
        with norms._recording(sites):
            other = threading.Thread(target=attention.run, args=(loaded, SENTENCE))
            other.start()
            other.join()


def test_unsplittable_model_says_so(tmp_path):
    loaded = models.load(str(tiny.make("xlnet", tmp_path / "xlnet")))
    with pytest.raises(norms.NotSplittable, match="cannot weigh this model's attention by norms.*xlnet") as err:
        norms.run(loaded, "hello")
    assert "\n" not in str(err.value) and "show the attention weights instead" in str(err.value)


def test_weighting_picks_the_array(loaded):
    assert norms.attend(loaded, SENTENCE).weighting == "weights"
    assert norms.attend(loaded, SENTENCE, weighting="norms").weighting == "norms"
    with pytest.raises(attention.InputError, match="unknown weighting 'sizes'"):
        norms.attend(loaded, SENTENCE, weighting="sizes")


# --- the command line ------------------------------------------------------------------------


def test_cli_attention_weighted_by_norms(loaded):
    result = headscope("attention", SENTENCE, "--weighting", "norms", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"model", "tokens", "num_layers", "num_heads", "attention"}
    assert_matches(np.array(doc["attention"], dtype=np.float32), reference(loaded, SENTENCE))


def test_cli_default_weighting_is_the_weights(cat):
    result = headscope("attention", SENTENCE, "--weighting", "weights", "--words", "--format", "json")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(json.loads(result.stdout)["attention"], words.merge(cat).weights, atol=1e-6)


def test_cli_bad_weighting_is_one_line():
    assert "--weighting" in one_line_error(headscope("attention", SENTENCE, "--weighting", "sizes"))


def test_cli_unsplittable_model_is_one_line(tmp_path):
    folder = tiny.make("xlnet", tmp_path / "xlnet")
    line = one_line_error(headscope("attention", "hello", "--model", str(folder), "--weighting", "norms"))
    assert "by norms" in line and "xlnet" in line


def test_cli_text_says_the_rows_are_weighted_by_norms(loaded):
    from headscope import cli

    assert "weighted by norms" in cli.attention_text(norms.run(loaded, SENTENCE))
    assert "weighted by norms" not in cli.attention_text(attention.run(loaded, SENTENCE))


def test_atlas_and_syntax_take_the_weighting(loaded):
    """The atlas scored on norm-weighted attention is the atlas of norms.run, sentence by sentence."""
    from dataclasses import replace

    from headscope import atlas, corpus, norms

    source = corpus.shipped(corpus.SIMPLE)
    source = replace(source, parses=source.parses[:6])
    by_norms = atlas.compute(loaded, source, weighting="norms")
    expected = atlas.score(
        ((norms.run(loaded, p.text), p) for p in source.parses), model=loaded.name, corpus=source.name
    )
    assert by_norms.weighting == "norms" and atlas.to_json(by_norms)["weighting"] == "norms"
    for r, ra in expected.relations.items():
        assert (by_norms.relations[r].correct == ra.correct).all(), r
    assert atlas.cache_key("m", "text") != atlas.cache_key("m", "text", "norms")
    doc = json.loads(
        headscope("atlas", "--corpus", "simple", "--limit", "6", "--weighting", "norms", "--format", "json").stdout
    )
    assert doc["weighting"] == "norms"
    assert doc["relations"]["all"]["accuracy"] == atlas.to_json(by_norms)["relations"]["all"]["accuracy"]
    syntax_doc = json.loads(
        headscope(
            "syntax", "The black cat sat on the mat.", "--weighting", "norms", "--limit", "6", "--format", "json"
        ).stdout
    )
    assert syntax_doc["relations"]["nsubj"]["heads"]


def test_a_model_that_cannot_be_split_gets_a_plain_note_in_the_app(tmp_path):
    """Weigh by what heads move on a model whose projections cannot be split per head: one plain message."""
    from components import faults
    from tests import tiny

    folder = tiny.make("xlnet", tmp_path / "xlnet")
    with pytest.raises(norms.NotSplittable) as caught:
        norms.attend(models.load(str(folder)), "The cat sat.", weighting="norms")
    said = faults.message(caught.value)
    assert said == str(caught.value) and "show the attention weights instead" in said
    assert "something went wrong" not in said and "NotSplittable" not in said
