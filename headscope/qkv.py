"""One head taken apart: softmax(Q K^T / sqrt(d_k)) V, recomputed from the model's own weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headscope import attention, families, hooks
from headscope.attention import clean_token
from headscope.models import LoadedModel


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


def take_apart(loaded: LoadedModel, text: str, layer: int, head: int) -> HeadParts:
    """Recompute one head's attention step by step and set it beside the model's own."""
    import torch

    if not 0 <= layer < loaded.num_layers or not 0 <= head < loaded.num_heads:
        raise ValueError(f"no head L{layer}H{head}: layers 0-{loaded.num_layers - 1}, heads 0-{loaded.num_heads - 1}")
    families.check_recomputable(loaded)
    mods = families.layer_attention(loaded, layer)
    queries = [families.layer_attention(loaded, at).q for at in range(loaded.num_layers)]
    captured: list[torch.Tensor] = []

    def capture(at: int, x) -> None:  # this thread's pass only: the model is shared (hooks.on_layers)
        if at == layer:  # ALBERT shares one module between layers: this layer's call of it
            captured.append(x.detach())

    with hooks.on_layers(queries, capture, hooks.INPUT):
        enc, stacked = attention.forward(loaded, [text])
    if all(enc["special_tokens_mask"][0].tolist()):  # as attention.run: nothing but [CLS] [SEP]
        raise attention.nothing_to_score()
    real = int(enc["attention_mask"][0].sum())  # the pass pads on the right (attention.PAD_MULTIPLE): drop the padding
    x = captured[0][0][:real]  # [T, d_model]
    n_heads, d_k = loaded.num_heads, families.head_size(loaded)
    width = n_heads * d_k
    with torch.inference_mode():
        q_all, k_all, v_all = mods.split(x, width)
        t = x.shape[0]
        allowed = torch.tril(torch.ones(t, t, dtype=torch.bool)) if mods.causal else torch.ones(t, t, dtype=torch.bool)
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
    (w_q, b_q), (w_k, b_k), (w_v, b_v) = (mods.head_weights(which, lo, hi, width) for which in "qkv")
    ids = enc["input_ids"][0, :real].tolist()
    f32 = lambda a: np.ascontiguousarray(a.float().numpy() if hasattr(a, "numpy") else a, dtype=np.float32)  # noqa: E731
    return HeadParts(
        tokens=tuple(clean_token(tok) for tok in loaded.tokenizer.convert_ids_to_tokens(ids)),
        layer=layer,
        head=head,
        d_model=int(x.shape[-1]),
        d_k=d_k,
        inputs=f32(x),
        w_q=f32(w_q),
        w_k=f32(w_k),
        w_v=f32(w_v),
        b_q=f32(b_q),
        b_k=f32(b_k),
        b_v=f32(b_v),
        queries=f32(q),
        keys=f32(k),
        values=f32(v),
        raw_scores=f32(raw),
        scale=float(mods.scale),
        scores=f32(scaled),
        mask=allowed.numpy(),
        weights=f32(weights),
        output=f32(outputs[head]),
        concat=f32(concat),
        projected=f32(projected),
        model_weights=f32(stacked[0, layer, head, :real, :real]),
    )


def to_json(parts: HeadParts) -> dict:
    """The CLI's `head` document (DEVELOPERS.md, the CLI contract); `scores` are Q K^T / sqrt(d_k)."""
    return {
        "tokens": list(parts.tokens),
        "queries": parts.queries,
        "keys": parts.keys,
        "values": parts.values,
        "scores": parts.scores,
        "weights": parts.weights,
        "output": parts.output,
    }
