"""Attention weighted by what it moves (Kobayashi et al. 2020): alpha_ij * ||f_h(x_j)||.

f_h(x) = (x W_V,h + b_V,h) W_O,h is what head h adds to the residual stream for key
token j, with W_O,h the head's rows of the output projection (its bias is shared by all
heads and left out, as in the paper). The weights are not renormalised: a row sums to
the length of the vector the head moves into that token, summed over keys' pieces.

One forward pass: forward hooks on each layer's value projection (`hooks.on_layers`) record its output
(x W_V + b_V, with x what the attention reads: after GPT-2's ln_1, T5's layer norm, and
the encoder's output for cross-attention) while `attention.run` runs the model.

The result is an `Attention` with `weighting == "norms"`. `words.merge` works on it
unchanged: TO a word sums what its pieces move, FROM a word averages its pieces' rows.
`attention.without_special` renormalises each row over the remaining tokens, so it
turns sizes into shares of what the non-special tokens move.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from headscope import attention, families, hooks
from headscope.attention import Attention, InputError
from headscope.errors import UnsupportedModel
from headscope.models import LoadedModel

WEIGHTINGS = ("weights", "norms")
"""What an attention array holds: the weights alpha_ij, or alpha_ij * ||f_h(x_j)||."""


class NotSplittable(UnsupportedModel):
    """This model's value and output projections cannot be split per head; the message says why."""


@dataclass(frozen=True)
class _Site:
    """Where one layer's values come from and go to."""

    value: object  # the module whose output holds every head's values side by side
    start: int  # first value column of that output (GPT-2's c_attn makes Q, K, V side by side)
    width: int  # heads * d_k
    w_out: np.ndarray  # [heads * d_k, d_model]: the output projection as y = concat @ w_out + b


@dataclass(frozen=True)
class NormWeighted:
    """The model's attention and the norms of what each head moves, from one forward pass."""

    attention: Attention  # alpha_ij, the model's own weights
    norms: np.ndarray  # float32 [layer, head, key]: ||f_h(x_j)||

    @property
    def weighted(self) -> Attention:
        """The attention with alpha_ij * ||f_h(x_j)|| in place of alpha_ij."""
        return weigh(self.attention, self.norms)


def _sites(loaded: LoadedModel, kind: str) -> list[_Site]:
    """Every layer's value projection and output projection for attention of this kind."""
    try:
        layers = [families.layer_attention(loaded, layer, kind) for layer in range(families.num_layers(loaded, kind))]
    except UnsupportedModel as exc:  # its message says which models Headscope can split per head
        raise NotSplittable(
            f"cannot weigh this model's attention by norms: {exc}; show the attention weights instead"
        ) from None
    sites = []
    for mods in layers:
        w_out = mods.out_weight()
        width = w_out.shape[0]
        sites.append(
            _Site(
                value=mods.value,
                start=mods.value_start(width),
                width=width,
                w_out=np.ascontiguousarray(w_out, dtype=np.float32),
            )
        )
    return sites


@contextlib.contextmanager
def _recording(sites: list[_Site]) -> Iterator[list[np.ndarray]]:
    """Record each layer's values [T, heads * d_k] while the block runs, in layer order.

    Only this thread's forward passes are recorded: the app shares one model between
    sessions. A module shared by several layers (ALBERT) is hooked once; its calls come
    in layer order (`hooks.on_layers`).
    """
    by_layer: dict[int, np.ndarray] = {}

    def record(layer: int, output) -> None:
        site = sites[layer]
        out = output[0, :, site.start : site.start + site.width]  # one text: batch of one
        by_layer[layer] = out.detach().float().numpy().copy()

    recorded: list[np.ndarray] = []
    with hooks.on_layers([site.value for site in sites], record, hooks.OUTPUT):
        yield recorded
    if len(by_layer) != len(sites):
        raise RuntimeError("the model did not call every layer's value projection once per layer")
    recorded.extend(by_layer[layer] for layer in range(len(sites)))


def head_norms(values: np.ndarray, w_out: np.ndarray, heads: int) -> np.ndarray:
    """[head, token] ||v_h W_O,h|| from values [T, heads * d_k] and W_O [heads * d_k, d_model]."""
    tokens, width = values.shape
    d_k = width // heads
    v = values.reshape(tokens, heads, d_k).transpose(1, 0, 2)  # [head, token, d_k]
    moved = v @ w_out.reshape(heads, d_k, -1)  # [head, token, d_model]: f_h(x_j)
    return np.linalg.norm(moved, axis=-1).astype(np.float32)


def measure(loaded: LoadedModel, text: str, target: str | None = None, kind: str = "encoder") -> NormWeighted:
    """Run the model once (as `attention.run`) and measure ||f_h(x_j)|| for every layer, head and key."""
    sites = _sites(loaded, kind)
    with _recording(sites) as recorded:
        att = attention.run(loaded, text, target, kind)
    if len(recorded) != att.num_layers or any(v.shape[0] < att.num_keys for v in recorded):
        raise RuntimeError("the recorded values do not match the attention's layers and tokens")
    kept = [values[: att.num_keys] for values in recorded]  # the pass padded on the right (attention.PAD_MULTIPLE)
    norms = np.stack([head_norms(values, site.w_out, att.num_heads) for values, site in zip(kept, sites)])
    return NormWeighted(attention=att, norms=norms)


def weigh(att: Attention, norms: np.ndarray) -> Attention:
    """alpha_ij * ||f_h(x_j)||, not renormalised, on the attention's own tokens."""
    if att.weighting != "weights" or att.level != "pieces":
        raise ValueError("weigh the model's own piece-level attention weights, then merge words")
    if norms.shape != (att.num_layers, att.num_heads, att.num_keys):
        raise ValueError(f"norms of shape {norms.shape} do not fit attention of shape {att.weights.shape}")
    weights = att.weights * norms[:, :, None, :]
    return replace(att, weights=np.ascontiguousarray(weights, dtype=np.float32), weighting="norms")


def run(loaded: LoadedModel, text: str, target: str | None = None, kind: str = "encoder") -> Attention:
    """Like `attention.run`, with alpha_ij * ||f_h(x_j)|| in place of alpha_ij."""
    return measure(loaded, text, target, kind).weighted


def scale_max(att: Attention) -> float:
    """The top of a heatmap's colour scale: 1 for attention weights, the largest value for norm-weighted attention."""
    if att.weighting == "weights":
        return 1.0
    top = float(np.nanmax(att.weights)) if att.weights.size else 0.0
    return top if top > 0 else 1.0


def attend(
    loaded: LoadedModel, text: str, target: str | None = None, kind: str = "encoder", weighting: str = "weights"
) -> Attention:
    """The text's attention as weights (`attention.run`) or weighted by norms (`run`)."""
    if weighting not in WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; pick one of {', '.join(WEIGHTINGS)}")
    if weighting == "norms":
        return run(loaded, text, target, kind)
    return attention.run(loaded, text, target, kind)
