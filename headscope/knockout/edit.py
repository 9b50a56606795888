"""Switching heads off: which heads, the model that is run, the edit of each layer's context, one forward pass.

Every knockout and importance goes through here: `runner_of` picks the module that is called
(with the language-model head where the checkpoint has one), `encode` tokenizes the text once as
`attention.run` does, and `forward` runs it with an `Edit` applied to each layer's output
projection input (the heads side by side).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import numpy as np

from headscope import attention, families, hooks
from headscope.attention import Attention, Axis, InputError
from headscope.errors import UnsupportedModel
from headscope.families import DECODER, ENCODER_DECODER
from headscope.knockout.pooling import pooling_modes
from headscope.models import LoadedModel
from headscope.panels import parse_head_name

ABLATIONS = ("zero", "mean")
"""What a knocked-out head's slice of the context vector becomes: zeros, or its mean over this text's tokens."""
ABLATION_WORDS = {
    "zero": "its output set to zero",
    "mean": "its output set to its mean over this text's tokens",
}
EMBEDDING, MASKED, NEXT = "embedding", "masked", "next"
"""What a model outputs: a sentence embedding, words at [MASK], or the next word."""


class NotKnockable(UnsupportedModel):
    """Headscope cannot find this model's heads to switch them off; the message says why."""


# --- the model-family code: the only place this module asks where heads live ------------------


def _out_projections(loaded: LoadedModel) -> list[Any]:
    """Each layer's attention output projection (encoder self-attention), whose input is the heads side by side."""
    try:
        return [families.layer_attention(loaded, layer).out for layer in range(loaded.num_layers)]
    except UnsupportedModel as exc:
        raise NotKnockable(f"cannot switch heads off in this model: {exc}") from None


# --- heads named L2H8 -----------------------------------------------------------------------


def parse_heads(spec: str | Sequence[str], num_layers: int, num_heads: int) -> tuple[tuple[int, int], ...]:
    """Heads written 'L2H8,L3H1' (or a list of such names) as sorted (layer, head) pairs; InputError if not."""
    names = [n for n in (spec.split(",") if isinstance(spec, str) else spec) if n.strip()]
    if not names:
        raise InputError("no heads given: name them like L2H8 (layer 2, head 8), separated by commas")
    heads = set()
    for name in names:
        head = parse_head_name(name)
        if head is None:
            raise InputError(
                f"{name.strip()[:40]!r} is not a head name: write heads like L2H8 (layer 2, head 8), "
                "numbered from 0 with the digits 0 to 9, separated by commas"
            )
        heads.add(check_head(*head, num_layers, num_heads))
    return tuple(sorted(heads))


def check_head(layer: int, head: int, num_layers: int, num_heads: int) -> tuple[int, int]:
    """(layer, head) if the model has it, else InputError naming the range."""
    if not (0 <= layer < num_layers and 0 <= head < num_heads):
        raise InputError(
            f"there is no head L{layer}H{head} in this model: layers 0-{num_layers - 1}, "
            f"heads 0-{num_heads - 1} (numbered from 0)"
        )
    return layer, head


# --- what is run: the model with its language-model head where it has one ---------------------


@dataclass(frozen=True)
class Runner:
    """The module that is called, the loaded model whose modules are hooked, and what it outputs."""

    model: Any  # called on the inputs
    loaded: LoadedModel  # its .model is the base model whose attention modules are hooked
    task: str  # EMBEDDING, MASKED or NEXT
    pooling: tuple[str, ...]  # sentence-embedding pooling modes (EMBEDDING only)


_HEADS: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_HEADS_LOCK = threading.Lock()


def _task_of(loaded: LoadedModel) -> str:
    """What the model's own checkpoint outputs, by its architecture: words at [MASK], the next word, or an embedding."""
    if loaded.family == ENCODER_DECODER:
        return EMBEDDING  # its encoder's output, pooled; the decoder is not run
    names = getattr(loaded.model.config, "architectures", None) or []
    if any(n.endswith("ForMaskedLM") for n in names):
        return MASKED
    if loaded.family == DECODER and any(n.endswith(("LMHeadModel", "ForCausalLM")) for n in names):
        return NEXT
    return EMBEDDING


def _with_head(loaded: LoadedModel, task: str):
    """The checkpoint loaded again with its language-model head (read from the same folder or cache), kept per model.

    The base model the app loaded has no head; the weights shared with it are the same numbers.
    """
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM

    with _HEADS_LOCK:
        found = _HEADS.get(loaded.model)
        if found is None:
            auto = AutoModelForMaskedLM if task == MASKED else AutoModelForCausalLM
            source = loaded.model.name_or_path
            found = auto.from_pretrained(
                source, attn_implementation="eager", trust_remote_code=False, local_files_only=True
            )
            found.eval()
            _HEADS[loaded.model] = found
        return found


def runner_of(loaded: LoadedModel) -> Runner:
    """How to run this model for knockout: with its LM head where its checkpoint has one."""
    task = _task_of(loaded)
    if task == EMBEDDING:
        return Runner(model=loaded.model, loaded=loaded, task=task, pooling=pooling_modes(loaded.model.name_or_path))
    try:
        with_head = _with_head(loaded, task)
    except Exception:  # noqa: BLE001 - no head weights on disk: compare its hidden states as an embedding
        return Runner(model=loaded.model, loaded=loaded, task=EMBEDDING, pooling=("mean",))
    return Runner(model=with_head, loaded=replace(loaded, model=with_head.base_model), task=task, pooling=())


# --- the hooks ------------------------------------------------------------------------------

Edit = Callable[[int, Any], Any]
"""edit(layer, context [batch, token, heads * d_k]) -> the context the output projection reads."""


def _editing(loaded: LoadedModel, edit: Edit) -> contextlib.AbstractContextManager[None]:
    """While open, each layer's output projection reads edit(layer, its input), in this thread only.

    A module shared by several layers (ALBERT) is called once per layer, in layer order
    (`hooks.on_layers`). Open one context per forward pass.
    """
    return hooks.on_layers(_out_projections(loaded), edit, hooks.INPUT)


@dataclass
class Pass:
    """One forward pass's outputs (torch tensors)."""

    attentions: Any  # [batch, layer, head, query, key] or None
    hidden: Any  # [batch, token, dim]: the last hidden state
    logits: Any  # [batch, token, vocab] or None


def forward(runner: Runner, inputs: dict, edit: Edit | None, attentions: bool = True, grad: bool = False) -> Pass:
    """Run the model once on the inputs, the heads' context vectors edited by `edit`."""
    import torch

    loaded = runner.loaded
    context = torch.enable_grad() if grad else torch.inference_mode()
    with context, _editing(loaded, edit) if edit else contextlib.nullcontext():
        if loaded.family == ENCODER_DECODER:
            out = runner.model.get_encoder()(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], output_attentions=attentions
            )
            return Pass(_stack(out.attentions, loaded) if attentions else None, out.last_hidden_state, None)
        out = runner.model(**inputs, output_attentions=attentions, output_hidden_states=runner.task != EMBEDDING)
    hidden = out.last_hidden_state if runner.task == EMBEDDING else out.hidden_states[-1]
    return Pass(_stack(out.attentions, loaded) if attentions else None, hidden, getattr(out, "logits", None))


def _stack(layers, loaded: LoadedModel):
    """The per-layer attentions as one [batch, layer, head, query, key] tensor; eager attention is required."""
    import torch

    if not layers or len(layers) != loaded.num_layers:
        raise RuntimeError(
            f"model returned {len(layers or ())} attention arrays for {loaded.num_layers} layers; "
            "it must be loaded with attn_implementation='eager'"
        )
    return torch.stack(layers, dim=1)


def recorder(store: dict[int, Any]) -> Edit:
    """An edit that changes nothing and keeps each layer's context vectors."""

    def record(layer: int, x):
        store[layer] = x.detach()
        return x

    return record


def means_of(store: dict[int, Any], mask) -> dict[int, Any]:
    """Per layer, each head's mean context vector over the text's tokens: [heads * d_k] (batch of one text)."""
    m = mask[0].bool()
    return {layer: x[0, m].mean(dim=0) for layer, x in store.items()}


# --- one text, encoded once -----------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text encoded for the model, with what an Attention needs."""

    text: str
    inputs: dict  # input_ids, attention_mask (and token_type_ids where read)
    ids: list[int]
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    special: tuple[bool, ...]
    dropped: int


def encode(loaded: LoadedModel, text: str) -> Text:
    """Tokenize one text as `attention.run` does (truncated to what the model accepts)."""
    attention.check_text(text)
    enc = attention.encode(loaded, text, loaded.max_tokens)
    if enc["input_ids"].shape[1] == 0:
        raise InputError("the tokenizer produced no tokens for this text")
    ids, offsets, special, tokens = attention.encoded_tokens(loaded, enc, text)
    if all(special):
        raise attention.nothing_to_score()
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask")}
    if (
        "token_type_ids" in enc
        and getattr(loaded.model.config, "type_vocab_size", 0)
        and loaded.family != ENCODER_DECODER
    ):
        inputs["token_type_ids"] = enc["token_type_ids"]
    return Text(
        text=text,
        inputs=inputs,
        ids=ids,
        tokens=tokens,
        offsets=offsets,
        special=special,
        dropped=attention.dropped_tokens(loaded, text),
    )


def token_count(loaded: LoadedModel, text: str) -> int:
    """How many tokens the model reads of the text (special tokens included, after truncation)."""
    return len(encode(loaded, text).ids)


def repeat(inputs: dict, rows: int) -> dict:
    """The same inputs copied `rows` times along the batch."""
    return {k: v.expand(rows, -1).contiguous() for k, v in inputs.items()}


def as_attention(loaded: LoadedModel, t: Text, weights: np.ndarray) -> Attention:
    """An Attention of the text with these weights [layer, head, query, key]."""
    axis = Axis(t.tokens, t.text, t.offsets, t.special)
    return Attention(
        model=loaded.name,
        rows=axis,
        columns=axis,
        weights=np.ascontiguousarray(weights, dtype=np.float32),
        dropped=t.dropped,
        causal=loaded.causal,
        kind="encoder" if loaded.family == ENCODER_DECODER else "self",
    )


def batch_edit(rows: Sequence[Sequence[tuple[int, int]]], num_heads: int, means: dict[int, Any] | None) -> Edit:
    """An edit for a batch of copies of one text: row r has the heads rows[r] knocked out (zeros, or their means)."""
    import torch

    by_layer: dict[int, list[tuple[int, int]]] = {}
    for r, heads in enumerate(rows):
        for layer, head in heads:
            by_layer.setdefault(layer, []).append((r, head))
    keeps: dict[int, Any] = {}

    def edit(layer: int, x):
        if layer not in by_layer:
            return x
        if x.shape[0] != len(rows):
            raise RuntimeError(f"a batch of {x.shape[0]} rows reached a knockout made for {len(rows)}")
        if layer not in keeps:
            d_k = x.shape[-1] // num_heads
            keep = torch.ones(len(rows), x.shape[-1], dtype=x.dtype)
            for r, head in by_layer[layer]:
                keep[r, head * d_k : (head + 1) * d_k] = 0
            keeps[layer] = keep[:, None, :]
        keep = keeps[layer]
        if means is None:
            return x * keep
        return x * keep + (1 - keep) * means[layer]

    return edit
