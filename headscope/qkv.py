"""One head taken apart: softmax(Q K^T / sqrt(d_k)) V, recomputed from the model's own weights."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from headscope import attention
from headscope.attention import clean_token
from headscope.models import ENCODER_DECODER, LoadedModel

SUPPORTED = ("bert", "roberta", "electra", "distilbert", "albert", "gpt2")
"""Model types whose attention this module can recompute (config.model_type)."""


class UnsupportedModel(ValueError):
    """This model's attention cannot be taken apart here; the message says why."""


@dataclass(frozen=True)
class _Modules:
    """Where one layer's projections live, and how they are applied."""

    q: object
    k: object
    v: object
    out: object
    fused: bool  # GPT-2: one Conv1D makes Q, K and V side by side
    causal: bool
    scale: float


@dataclass(frozen=True)
class HeadParts:
    """Every step of one head's attention for one text (arrays are float32 numpy)."""

    tokens: tuple[str, ...]
    layer: int
    head: int
    d_model: int
    d_k: int
    inputs: np.ndarray  # [T, d_model] what the layer's attention reads (after GPT-2's ln_1)
    w_q: np.ndarray  # [d_model, d_k]: queries = inputs @ w_q + b_q
    w_k: np.ndarray
    w_v: np.ndarray
    b_q: np.ndarray  # [d_k]
    b_k: np.ndarray
    b_v: np.ndarray
    queries: np.ndarray  # [T, d_k]
    keys: np.ndarray
    values: np.ndarray
    raw_scores: np.ndarray  # [T, T] Q K^T
    scale: float  # what raw scores are divided by (sqrt(d_k))
    scores: np.ndarray  # [T, T] Q K^T / scale, before the mask
    mask: np.ndarray  # [T, T] True where a query may attend to a key
    weights: np.ndarray  # [T, T] softmax over the allowed keys
    output: np.ndarray  # [T, d_k] weights @ values
    concat: np.ndarray  # [T, heads * d_k] every head's output side by side
    projected: np.ndarray  # [T, d_model] the output projection of concat
    model_weights: np.ndarray  # [T, T] the model's own attention for this head

    @property
    def max_abs_diff(self) -> float:
        """Largest difference between the recomputed and the model's own weights."""
        return float(np.abs(self.weights - self.model_weights).max())


def can_take_apart(loaded: LoadedModel) -> None:
    """Raise UnsupportedModel unless take_apart can recompute this model's attention scores."""
    config = loaded.model.config
    kind = getattr(config, "model_type", "")
    if kind not in SUPPORTED:
        raise UnsupportedModel(
            f"cannot take apart a {kind or type(loaded.model).__name__} model; supported: {', '.join(SUPPORTED)}"
        )
    position = getattr(config, "position_embedding_type", "absolute")
    if position not in (None, "absolute"):
        raise UnsupportedModel(f"cannot take apart attention with {position} position embeddings")


KNOWN = SUPPORTED + ("deberta-v2", "bart", "t5")
"""Model types whose per-layer query, key, value and output projections `_layer_modules` finds."""

_STACKS = ("encoder", "decoder", "cross")
"""An encoder-decoder model's attentions: encoder self, decoder self, decoder to encoder."""


def _layer_modules(loaded: LoadedModel, layer: int, kind: str = "encoder") -> _Modules:
    """The projections of one layer's attention (`kind`: an encoder-decoder's encoder, decoder or cross)."""
    model, config = loaded.model, loaded.model.config
    family = getattr(config, "model_type", "")
    if family not in KNOWN:
        raise UnsupportedModel(f"Headscope does not know where the heads of a {family or type(model).__name__} model "
                               f"keep their projections; it knows {', '.join(KNOWN)}")
    if family in ("bart", "t5"):
        return _seq2seq_modules(model, family, layer, kind)
    d_k = loaded_dk(loaded)
    if family in ("bert", "roberta", "electra"):
        att = model.encoder.layer[layer].attention
        return _Modules(att.self.query, att.self.key, att.self.value, att.output.dense, False, False, math.sqrt(d_k))
    if family == "deberta-v2":  # relative-position terms are added to the scores; values are plain
        att = model.encoder.layer[layer].attention
        terms = 1 + sum(1 for t in att.self.pos_att_type if t in ("c2p", "p2c"))
        return _Modules(att.self.query_proj, att.self.key_proj, att.self.value_proj, att.output.dense, False, False,
                        math.sqrt(att.self.attention_head_size * terms))
    if family == "distilbert":
        att = model.transformer.layer[layer].attention
        return _Modules(att.q_lin, att.k_lin, att.v_lin, att.out_lin, False, False, math.sqrt(d_k))
    if family == "albert":
        if config.inner_group_num != 1:
            raise UnsupportedModel("cannot take apart ALBERT with more than one layer per group")
        group = int(layer / (config.num_hidden_layers / config.num_hidden_groups))
        att = model.encoder.albert_layer_groups[group].albert_layers[0].attention
        return _Modules(att.query, att.key, att.value, att.dense, False, False, math.sqrt(d_k))
    att = model.h[layer].attn  # gpt2
    scale = math.sqrt(d_k) if config.scale_attn_weights else 1.0
    if getattr(config, "scale_attn_by_inverse_layer_idx", False):
        scale *= layer + 1
    return _Modules(att.c_attn, None, None, att.c_proj, True, True, scale)


def _seq2seq_modules(model, family: str, layer: int, kind: str) -> _Modules:
    """BART's and T5's projections of one layer's encoder, decoder or cross attention."""
    if kind not in _STACKS:
        raise UnsupportedModel(f"unknown attention kind {kind!r}; pick one of {', '.join(_STACKS)}")
    stack = model.encoder if kind == "encoder" else model.decoder
    if family == "bart":
        block = stack.layers[layer]
        att = block.encoder_attn if kind == "cross" else block.self_attn
        return _Modules(att.q_proj, att.k_proj, att.v_proj, att.out_proj, False, kind == "decoder", 1 / att.scaling)
    block = stack.block[layer]  # t5: scores are not scaled
    att = block.layer[1].EncDecAttention if kind == "cross" else block.layer[0].SelfAttention
    return _Modules(att.q, att.k, att.v, att.o, False, kind == "decoder", 1.0)


def num_layers(loaded: LoadedModel, kind: str = "encoder") -> int:
    """Layers of the model's attention of this kind (an encoder-decoder's decoder may have its own count)."""
    model = loaded.model
    if loaded.family != ENCODER_DECODER or kind == "encoder":
        return loaded.num_layers
    decoder = model.decoder
    return len(getattr(decoder, "layers", None) or decoder.block)


def loaded_dk(loaded: LoadedModel) -> int:
    """Size of one head's query, key and value vectors."""
    config = loaded.model.config
    hidden = getattr(config, "hidden_size", None) or getattr(config, "dim", None) or config.n_embd
    return hidden // loaded.num_heads


def _as_columns(module, lo: int, hi: int, fused: bool) -> tuple[np.ndarray, np.ndarray]:
    """(W [d_model, d_k], b [d_k]) of output columns lo:hi, so that y = x @ W + b."""
    weight = module.weight.detach().float().numpy()
    bias = module.bias.detach().float().numpy() if module.bias is not None else np.zeros(weight.shape[0])
    if fused:  # Conv1D stores [in, out]
        return weight[:, lo:hi], bias[lo:hi]
    return weight[lo:hi].T, bias[lo:hi]  # nn.Linear stores [out, in]


def take_apart(loaded: LoadedModel, text: str, layer: int, head: int) -> HeadParts:
    """Recompute one head's attention step by step and set it beside the model's own."""
    import torch

    if not 0 <= layer < loaded.num_layers or not 0 <= head < loaded.num_heads:
        raise ValueError(f"no head L{layer}H{head}: layers 0-{loaded.num_layers - 1}, heads 0-{loaded.num_heads - 1}")
    can_take_apart(loaded)
    mods = _layer_modules(loaded, layer)
    # ALBERT shares one attention module between layers: take this layer's call of it
    call = sum(1 for earlier in range(layer) if _layer_modules(loaded, earlier).q is mods.q)
    captured: list[torch.Tensor] = []
    caller = threading.get_ident()  # the model is shared: another thread's forward pass must not be captured

    def capture(_module, args) -> None:
        if threading.get_ident() == caller:
            captured.append(args[0].detach())

    hook = mods.q.register_forward_pre_hook(capture)
    try:
        enc, stacked = attention._forward(loaded, [text])
    finally:
        hook.remove()
    if all(enc["special_tokens_mask"][0].tolist()):  # as attention.run: nothing but [CLS] [SEP]
        raise attention.nothing_to_score()
    x = captured[call][0]  # [T, d_model]
    n_heads, d_k = loaded.num_heads, loaded_dk(loaded)
    width = n_heads * d_k
    with torch.inference_mode():
        if mods.fused:
            q_all, k_all, v_all = mods.q(x).split(width, dim=-1)
        else:
            q_all, k_all, v_all = mods.q(x), mods.k(x), mods.v(x)
        t = x.shape[0]
        allowed = torch.tril(torch.ones(t, t, dtype=torch.bool)) if mods.causal else torch.ones(t, t, dtype=torch.bool)
        allowed &= enc["attention_mask"][0].bool()[None, :]
        outputs = []
        for h in range(n_heads):
            sl = slice(h * d_k, (h + 1) * d_k)
            q, k, v = q_all[:, sl], k_all[:, sl], v_all[:, sl]
            raw = q @ k.T
            scaled = raw / mods.scale
            masked = scaled.masked_fill(~allowed, torch.finfo(scaled.dtype).min)
            weights = torch.softmax(masked, dim=-1)
            outputs.append(weights @ v)
            if h == head:
                mine = (q, k, v, raw, scaled, weights)
        concat = torch.cat(outputs, dim=-1)
        projected = mods.out(concat)
    q, k, v, raw, scaled, weights = mine
    lo, hi = head * d_k, (head + 1) * d_k
    offset = {"q": 0, "k": width, "v": 2 * width} if mods.fused else {"q": 0, "k": 0, "v": 0}
    w_q, b_q = _as_columns(mods.q, lo + offset["q"], hi + offset["q"], mods.fused)
    w_k, b_k = _as_columns(mods.q if mods.fused else mods.k, lo + offset["k"], hi + offset["k"], mods.fused)
    w_v, b_v = _as_columns(mods.q if mods.fused else mods.v, lo + offset["v"], hi + offset["v"], mods.fused)
    ids = enc["input_ids"][0].tolist()
    f32 = lambda a: np.ascontiguousarray(a.float().numpy() if hasattr(a, "numpy") else a, dtype=np.float32)  # noqa: E731
    return HeadParts(
        tokens=tuple(clean_token(tok) for tok in loaded.tokenizer.convert_ids_to_tokens(ids)),
        layer=layer, head=head, d_model=int(x.shape[-1]), d_k=d_k,
        inputs=f32(x), w_q=f32(w_q), w_k=f32(w_k), w_v=f32(w_v), b_q=f32(b_q), b_k=f32(b_k), b_v=f32(b_v),
        queries=f32(q), keys=f32(k), values=f32(v), raw_scores=f32(raw), scale=float(mods.scale),
        scores=f32(scaled), mask=allowed.numpy(), weights=f32(weights), output=f32(outputs[head]),
        concat=f32(concat), projected=f32(projected), model_weights=f32(stacked[0, layer, head]),
    )


def to_json(parts: HeadParts) -> dict:
    """The CLI's `head` document (see DESIGN.md); `scores` are Q K^T / sqrt(d_k)."""
    return {
        "tokens": list(parts.tokens),
        "queries": parts.queries,
        "keys": parts.keys,
        "values": parts.values,
        "scores": parts.scores,
        "weights": parts.weights,
        "output": parts.output,
    }
