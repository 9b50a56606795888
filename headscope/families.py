"""What Headscope knows about each model family, in one place.

For a loaded model: whether it is an encoder, a decoder or both; how many layers and heads
it has; which output of a forward pass holds its attention; and, per layer, where its
attention keeps the query, key, value and output projections, how they are applied
(scale, causal mask) and how they split per head (`layer_attention`). qkv (one head taken
apart) and norms (what each head moves) read the model only through this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from headscope.errors import UnsupportedModel

if TYPE_CHECKING:  # models imports this module
    from headscope.models import LoadedModel

ENCODER, DECODER, ENCODER_DECODER = "encoder", "decoder", "encoder-decoder"
"""A model's architecture: which of encoder and decoder it has."""

_DECODER_TYPES = {
    "gpt2",
    "gpt_neo",
    "gpt_neox",
    "gptj",
    "opt",
    "llama",
    "mistral",
    "bloom",
    "codegen",
    "phi",
    "phi3",
    "qwen2",
    "gemma",
    "gemma2",
    "falcon",
    "mpt",
    "biogpt",
    "ctrl",
    "openai-gpt",
}

_OFFSET_POSITIONS = {"roberta", "xlm-roberta", "camembert", "longformer", "data2vec-text", "xlm-roberta-xl"}
"""Model types whose position ids start after the padding index (RoBERTa's two extra positions)."""

RECOMPUTABLE = ("bert", "roberta", "electra", "distilbert", "albert", "gpt2")
"""Model types whose attention qkv can recompute step by step (config.model_type)."""

KNOWN = RECOMPUTABLE + ("deberta-v2", "bart", "t5")
"""Model types whose per-layer query, key, value and output projections `layer_attention` finds."""

KINDS = ("encoder", "decoder", "cross")
"""An encoder-decoder model's attentions: encoder self, decoder self, decoder to encoder."""


def architecture(config: Any) -> str:
    """encoder, decoder or encoder-decoder, from a model's config."""
    if getattr(config, "is_encoder_decoder", False):
        return ENCODER_DECODER
    if getattr(config, "is_decoder", False) or getattr(config, "model_type", "") in _DECODER_TYPES:
        return DECODER
    return ENCODER


def counts(config: Any, family: str) -> tuple[int, int]:
    """(layers, heads per layer) of a model (an encoder-decoder's: its encoder's), from its config."""
    layers = (
        getattr(config, "num_hidden_layers", None)
        or getattr(config, "n_layer", None)
        or getattr(config, "num_layers", None)
    )
    heads = (
        getattr(config, "num_attention_heads", None)
        or getattr(config, "n_head", None)
        or getattr(config, "num_heads", None)
    )
    if family == ENCODER_DECODER:
        layers = getattr(config, "encoder_layers", None) or config.num_layers
        heads = getattr(config, "encoder_attention_heads", None) or config.num_heads
    return int(layers), int(heads)


def positions(config: Any) -> int | None:
    """How many token positions the model's position embeddings cover, if it says."""
    positions = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
    if not (isinstance(positions, int) and positions > 0):
        return None
    if getattr(config, "model_type", "") in _OFFSET_POSITIONS:
        positions -= (getattr(config, "pad_token_id", None) or 1) + 1
    return positions


def self_attentions(outputs: Any, family: str):
    """The per-layer attention arrays of a forward pass run with output_attentions (an encoder-decoder's: its encoder's)."""
    return (
        getattr(outputs, "encoder_attentions", None)
        if family == ENCODER_DECODER
        else getattr(outputs, "attentions", None)
    )


def head_size(loaded: "LoadedModel") -> int:
    """Size of one head's query, key and value vectors."""
    config = loaded.model.config
    hidden = getattr(config, "hidden_size", None) or getattr(config, "dim", None) or config.n_embd
    return hidden // loaded.num_heads


def num_layers(loaded: "LoadedModel", kind: str = "encoder") -> int:
    """Layers of the model's attention of this kind (an encoder-decoder's decoder may have its own count)."""
    if loaded.family != ENCODER_DECODER or kind == "encoder":
        return loaded.num_layers
    decoder = loaded.model.decoder
    return len(getattr(decoder, "layers", None) or decoder.block)


def projection_columns(module: Any, lo: int, hi: int, fused: bool) -> tuple[np.ndarray, np.ndarray]:
    """(W [d_in, hi - lo], b [hi - lo]) of a projection's output columns lo:hi, so that y = x @ W + b."""
    weight = module.weight.detach().float().numpy()
    bias = module.bias.detach().float().numpy() if module.bias is not None else np.zeros(weight.shape[0])
    if fused:  # Conv1D stores [in, out]
        return weight[:, lo:hi], bias[lo:hi]
    return weight[lo:hi].T, bias[lo:hi]  # nn.Linear stores [out, in]


@dataclass(frozen=True)
class LayerAttention:
    """One layer's attention: its projections, and how they are applied and split per head."""

    q: Any
    k: Any  # None when fused
    v: Any  # None when fused
    out: Any  # the output projection: every head's output side by side -> d_model
    fused: bool  # GPT-2: one Conv1D (weights stored [in, out]) makes Q, K and V side by side
    causal: bool
    scale: float  # what Q K^T is divided by

    @property
    def value(self) -> Any:
        """The module whose output holds every head's values side by side (from `value_start` on)."""
        return self.q if self.fused else self.v

    def value_start(self, width: int) -> int:
        """First column of the values in `value`'s output (width: heads * d_k)."""
        return 2 * width if self.fused else 0

    def split(self, x, width: int):
        """Every head's queries, keys and values for inputs x: three [T, width] tensors, head h in columns h*d_k:(h+1)*d_k."""
        if self.fused:
            return self.q(x).split(width, dim=-1)
        return self.q(x), self.k(x), self.v(x)

    def head_weights(self, which: str, lo: int, hi: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(W [d_model, hi - lo], b) of the query ("q"), key ("k") or value ("v") columns lo:hi."""
        if not self.fused:
            return projection_columns(getattr(self, which), lo, hi, False)
        offset = {"q": 0, "k": width, "v": 2 * width}[which]
        return projection_columns(self.q, lo + offset, hi + offset, True)

    def out_weight(self) -> np.ndarray:
        """The output projection as y = concat @ W + b: W [heads * d_k, d_model]."""
        width = int(self.out.weight.shape[1] if self.fused else self.out.weight.shape[0])
        return projection_columns(self.out, 0, width, self.fused)[0]


def layer_attention(loaded: "LoadedModel", layer: int, kind: str = "encoder") -> LayerAttention:
    """The attention of one layer (`kind`: an encoder-decoder's encoder, decoder or cross attention)."""
    model, config = loaded.model, loaded.model.config
    family = getattr(config, "model_type", "")
    if family not in KNOWN:
        raise UnsupportedModel(
            f"Headscope does not know where the heads of a {family or type(model).__name__} model "
            f"keep their projections; it knows {', '.join(KNOWN)}"
        )
    if family in ("bart", "t5"):
        return _seq2seq_attention(model, family, layer, kind)
    d_k = head_size(loaded)
    if family in ("bert", "roberta", "electra"):
        att = model.encoder.layer[layer].attention
        return LayerAttention(
            att.self.query, att.self.key, att.self.value, att.output.dense, False, False, math.sqrt(d_k)
        )
    if family == "deberta-v2":  # relative-position terms are added to the scores; values are plain
        att = model.encoder.layer[layer].attention
        terms = 1 + sum(1 for t in att.self.pos_att_type if t in ("c2p", "p2c"))
        return LayerAttention(
            att.self.query_proj,
            att.self.key_proj,
            att.self.value_proj,
            att.output.dense,
            False,
            False,
            math.sqrt(att.self.attention_head_size * terms),
        )
    if family == "distilbert":
        att = model.transformer.layer[layer].attention
        return LayerAttention(att.q_lin, att.k_lin, att.v_lin, att.out_lin, False, False, math.sqrt(d_k))
    if family == "albert":
        if config.inner_group_num != 1:
            raise UnsupportedModel("cannot take apart ALBERT with more than one layer per group")
        group = int(layer / (config.num_hidden_layers / config.num_hidden_groups))
        att = model.encoder.albert_layer_groups[group].albert_layers[0].attention
        return LayerAttention(att.query, att.key, att.value, att.dense, False, False, math.sqrt(d_k))
    att = model.h[layer].attn  # gpt2
    scale = math.sqrt(d_k) if config.scale_attn_weights else 1.0
    if getattr(config, "scale_attn_by_inverse_layer_idx", False):
        scale *= layer + 1
    return LayerAttention(att.c_attn, None, None, att.c_proj, True, True, scale)


def _seq2seq_attention(model: Any, family: str, layer: int, kind: str) -> LayerAttention:
    """BART's and T5's projections of one layer's encoder, decoder or cross attention."""
    if kind not in KINDS:
        raise UnsupportedModel(f"unknown attention kind {kind!r}; pick one of {', '.join(KINDS)}")
    stack = model.encoder if kind == "encoder" else model.decoder
    if family == "bart":
        block = stack.layers[layer]
        att = block.encoder_attn if kind == "cross" else block.self_attn
        return LayerAttention(
            att.q_proj, att.k_proj, att.v_proj, att.out_proj, False, kind == "decoder", 1 / att.scaling
        )
    block = stack.block[layer]  # t5: scores are not scaled
    att = block.layer[1].EncDecAttention if kind == "cross" else block.layer[0].SelfAttention
    return LayerAttention(att.q, att.k, att.v, att.o, False, kind == "decoder", 1.0)


def check_recomputable(loaded: "LoadedModel") -> None:
    """Raise UnsupportedModel unless qkv can recompute this model's attention scores step by step."""
    config = loaded.model.config
    kind = getattr(config, "model_type", "")
    if kind not in RECOMPUTABLE:
        raise UnsupportedModel(
            f"cannot take apart a {kind or type(loaded.model).__name__} model; supported: {', '.join(RECOMPUTABLE)}"
        )
    position = getattr(config, "position_embedding_type", "absolute")
    if position not in (None, "absolute"):
        raise UnsupportedModel(f"cannot take apart attention with {position} position embeddings")


# --- a model's size, read from its config before any module is built --------------------------

BOUNDS = {
    **dict.fromkeys(
        ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers", "decoder_layers"), 1_024
    ),
    "num_decoder_layers": 1_024,
    **dict.fromkeys(
        (
            "num_attention_heads",
            "n_head",
            "n_heads",
            "num_heads",
            "num_key_value_heads",
            "encoder_attention_heads",
            "decoder_attention_heads",
        ),
        1_024,
    ),
    **dict.fromkeys(
        (
            "hidden_size",
            "n_embd",
            "d_model",
            "dim",
            "embedding_size",
            "d_kv",
            "head_dim",
            "intermediate_size",
            "n_inner",
            "d_ff",
            "hidden_dim",
            "encoder_ffn_dim",
            "decoder_ffn_dim",
        ),
        262_144,
    ),
    "vocab_size": 4_194_304,
    "type_vocab_size": 4_194_304,
    **dict.fromkeys(("max_position_embeddings", "n_positions", "n_ctx"), 16_777_216),
    "num_hidden_groups": 1_024,
    "inner_group_num": 1_024,
}
"""config.json fields that size a model, and the largest value Headscope builds a model for (any server)."""


class ConfigTooLarge(ValueError):
    """A config describes a model too large (or malformed) to build; the message names the field."""


def _first(fields: dict, *names: str) -> int | None:
    """The first of these fields the config sets to a positive number."""
    for name in names:
        value = fields.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _sizing_fields(fields: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every sizing field in a config's dict, nested configs (text_config, ...) included."""
    found = [(prefix + name, value) for name, value in fields.items() if name in BOUNDS and value is not None]
    for name, value in fields.items():
        if isinstance(value, dict):
            found += _sizing_fields(value, f"{prefix}{name}.")
    return found


def check_bounds(config: Any) -> None:
    """ConfigTooLarge naming the first sizing field that is not a whole number within BOUNDS."""
    for path, value in _sizing_fields(config.to_dict()):
        bound = BOUNDS[path.rsplit(".", 1)[-1]]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigTooLarge(
                f"config.json: {path} is {str(value)[:40]}; it must be a whole number from 0 to {bound:,}"
            )
        if value > bound:
            raise ConfigTooLarge(f"config.json: {path} is {value}; at most {bound:,}")


_GATED = ("silu", "swiglu", "geglu", "gated-gelu", "gated-silu")
"""Activations (hidden_act, feed_forward_proj) whose feed-forward has a third projection."""


def _estimate_one(fields: dict) -> int:
    """Parameters of one (non-nested) config's transformer: embeddings and layers, the usual shapes."""
    hidden = _first(fields, "hidden_size", "n_embd", "d_model", "dim")
    if hidden is None:
        return 0
    embed = _first(fields, "embedding_size") or hidden
    learned = not any(key.startswith("rope") for key in fields)
    positions = _first(fields, "max_position_embeddings", "n_positions") if learned else None
    embeddings = embed * (
        (_first(fields, "vocab_size") or 0) + (positions or 0) + (_first(fields, "type_vocab_size") or 0)
    )
    embeddings += embed * hidden if embed != hidden else 0
    heads = _first(fields, "num_attention_heads", "n_head", "n_heads", "num_heads", "encoder_attention_heads") or 1
    d_head = _first(fields, "d_kv", "head_dim") or max(hidden // heads, 1)
    kv_heads = _first(fields, "num_key_value_heads") or heads
    attn = 2 * hidden * d_head * (heads + kv_heads)
    ff = _first(fields, "intermediate_size", "n_inner", "d_ff", "hidden_dim", "encoder_ffn_dim") or 4 * hidden
    gated = (
        str(fields.get("hidden_act", "")).lower() in _GATED
        or str(fields.get("feed_forward_proj", "")).lower() in _GATED
    )
    layer = attn + (3 if gated else 2) * hidden * ff
    layers = _first(fields, "num_hidden_layers", "n_layer", "n_layers", "num_layers", "encoder_layers") or 0
    if _first(fields, "num_hidden_groups"):  # ALBERT: layers share the weights of their group
        layers = min(layers, _first(fields, "num_hidden_groups") * (_first(fields, "inner_group_num") or 1))
    decoder = _first(fields, "decoder_layers", "num_decoder_layers") if fields.get("is_encoder_decoder") else None
    return embeddings + layers * layer + (decoder or 0) * (layer + attn)


def estimate_params(config: Any) -> int:
    """About how many parameters a config's model has, read from its fields with no module built."""

    def walk(fields: dict) -> int:
        return _estimate_one(fields) + sum(walk(v) for v in fields.values() if isinstance(v, dict))

    return walk(config.to_dict())


def size_fields(config: Any) -> str:
    """The fields an estimate comes from, as a message quotes them: 'num_hidden_layers 24, hidden_size 1024, ...'."""
    wanted = (
        "num_hidden_layers",
        "n_layer",
        "n_layers",
        "num_layers",
        "hidden_size",
        "n_embd",
        "d_model",
        "dim",
        "vocab_size",
    )
    fields = config.to_dict()
    return ", ".join(f"{name} {fields[name]}" for name in wanted if _first(fields, name))
