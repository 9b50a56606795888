"""Heads switched off: knockout, what it changes, and every head's importance.

A knocked-out head has its slice of the context vector (its output, softmax(QK^T/sqrt(d_k)) V,
before the output projection mixes the heads) replaced, and nothing else changes:

- ablation "zero": the slice is set to zeros;
- ablation "mean": the slice is set to the head's mean context vector over the tokens of
  this text (every token the model reads, special tokens included), measured in the
  intact run. Over a batch of copies of one text this is the same vector in every copy.

It is done with a forward pre-hook on each layer's attention output projection
(transformers 5 has no `head_mask`). The knocked-out head's own attention weights do not
change (they are computed before its output); the heads of later layers read a changed
residual stream, and their attention changes.

What changes in the output:
- a sentence-embedding model (no language-model head: the bundled all-MiniLM-L6-v2) is
  compared by the cosine between the intact and knocked-out sentence embeddings, pooled
  as the model's folder declares (sentence-transformers' modules.json and its Pooling
  config; mean over the tokens when the folder says nothing);
- a masked language model: the top-5 words at each [MASK] before and after;
- a decoder: the next word's top-5 after the last token.
Every model also gets each token's change, 1 - cosine of its last hidden state.

Importance knocks out every head on its own, all heads in one batch (row L*H+h of a batch
of copies of the text has head h of layer L switched off), and measures the effect on the
output (`measure` names it). Michel et al. (2019)'s gradient score, |d loss / d gate| for a
gate of ones multiplying each head's slice, needs a loss: a masked LM's or a decoder's, not
a sentence embedding's.

What knockout does not show: other heads can compensate for a head that is switched off,
and zero is one choice of ablation (the mean is another); a small effect does not prove a
head is useless, only that the model does not need it alone for this output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import weakref
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from headscope import attention, families, syntax, words
from headscope.attention import Attention, Axis, InputError
from headscope.errors import UnsupportedModel
from headscope.families import DECODER, ENCODER_DECODER
from headscope.models import LoadedModel
from headscope.panels import parse_head_name

ABLATIONS = ("zero", "mean")
"""What a knocked-out head's slice of the context vector becomes: zeros, or its mean over this text's tokens."""
ABLATION_WORDS = {
    "zero": "its output set to zero",
    "mean": "its output set to its mean over this text's tokens",
}
ARC_RELATIONS = ("nsubj", "amod")
"""The arcs whose attention change is reported: subject -> verb and adjective -> noun."""
TOP = 5
"""How many words a prediction lists."""

EMBEDDING, MASKED, NEXT = "embedding", "masked", "next"
"""What a model outputs: a sentence embedding, words at [MASK], or the next word."""

MEASURES = {
    EMBEDDING: "1 - cosine between the intact and knocked-out sentence embeddings",
    MASKED: "KL divergence (intact || knocked out) of the predicted words at [MASK], mean over the [MASK]s",
    MASKED + "-all": "KL divergence (intact || knocked out) of the predicted word at every token, mean over tokens",
    NEXT: "KL divergence (intact || knocked out) of the next-word prediction",
}
"""What an importance `effect` is, by what the model outputs."""

IMPORTANCE_VERSION = 1
"""Bump when the importance method changes: the disk cache and data/importance/ are keyed by it."""

HEAVY_TOKENS = 40
"""Texts of more tokens than this are heavy work: every head's importance is computed on request, not with the page.

Importance is one knockout per head (73 rows of the text): on one core about 0.2 s at 10 tokens,
0.7 s at 32, 1.4 s at 64 and 15-35 s at 512 (a 450-word text). Up to 40 tokens (a long
sentence) it stays under a second, about what the page's other work costs, so it comes at once.
"""


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
class _Runner:
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


def _runner(loaded: LoadedModel) -> _Runner:
    """How to run this model for knockout: with its LM head where its checkpoint has one."""
    task = _task_of(loaded)
    if task == EMBEDDING:
        return _Runner(model=loaded.model, loaded=loaded, task=task, pooling=pooling_modes(loaded.model.name_or_path))
    try:
        with_head = _with_head(loaded, task)
    except Exception:  # noqa: BLE001 - no head weights on disk: compare its hidden states as an embedding
        return _Runner(model=loaded.model, loaded=loaded, task=EMBEDDING, pooling=("mean",))
    return _Runner(model=with_head, loaded=replace(loaded, model=with_head.base_model), task=task, pooling=())


_POOLING_KEYS = (
    ("pooling_mode_cls_token", "cls"),
    ("pooling_mode_max_tokens", "max"),
    ("pooling_mode_mean_tokens", "mean"),
    ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len"),
    ("pooling_mode_lasttoken", "lasttoken"),
)
"""sentence-transformers' Pooling config keys, in the order it concatenates them."""


def pooling_modes(folder: str | os.PathLike | None) -> tuple[str, ...]:
    """The pooling a sentence-transformers folder declares (modules.json -> its Pooling module's config.json).

    ("mean",) when the folder declares none, or declares only modes Headscope does not know.
    """
    try:
        root = Path(folder)
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        entry = next(m for m in modules if str(m.get("type", "")).endswith("Pooling"))
        config = json.loads((root / entry.get("path", "") / "config.json").read_text(encoding="utf-8"))
    except (OSError, TypeError, ValueError, StopIteration, AttributeError):
        return ("mean",)
    modes = tuple(name for key, name in _POOLING_KEYS if config.get(key))
    return modes or ("mean",)


def pool(hidden: np.ndarray, mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """Sentence embeddings [batch, dim * len(modes)] from hidden states [batch, token, dim] and the attention mask."""
    m = mask.astype(hidden.dtype)[..., None]
    count = np.maximum(m.sum(axis=1), 1e-9)
    parts = []
    for mode in modes:
        if mode == "cls":
            parts.append(hidden[:, 0])
        elif mode == "max":
            parts.append(np.where(m > 0, hidden, -np.inf).max(axis=1))
        elif mode == "mean_sqrt_len":
            parts.append((hidden * m).sum(axis=1) / np.sqrt(count))
        elif mode == "lasttoken":
            last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
            parts.append(hidden[np.arange(hidden.shape[0]), last])
        else:
            parts.append((hidden * m).sum(axis=1) / count)
    return np.concatenate(parts, axis=-1)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine between the last axes of a and b (0 where either is zero)."""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a64, axis=-1) * np.linalg.norm(b64, axis=-1)
    dots = (a64 * b64).sum(axis=-1)
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


# --- the hooks ------------------------------------------------------------------------------

Edit = Callable[[int, Any], Any]
"""edit(layer, context [batch, token, heads * d_k]) -> the context the output projection reads."""


@contextlib.contextmanager
def _editing(loaded: LoadedModel, edit: Edit) -> Iterator[None]:
    """While open, each layer's output projection reads edit(layer, its input), in this thread only.

    A module shared by several layers (ALBERT) is called once per layer, in layer order: its
    n-th call in a forward pass is the n-th layer using it. Open one context per forward pass.
    """
    outs = _out_projections(loaded)
    me = threading.get_ident()
    layers_of: dict[int, list[int]] = {}
    for layer, module in enumerate(outs):
        layers_of.setdefault(id(module), []).append(layer)
    calls = {key: 0 for key in layers_of}
    hooks = []

    def hook_for(key: int):
        def pre(_module, args):
            if threading.get_ident() != me:
                return None
            order = layers_of[key]
            layer = order[calls[key] % len(order)]
            calls[key] += 1
            return (edit(layer, args[0]),) + tuple(args[1:])

        return pre

    seen: set[int] = set()
    try:
        for module in outs:
            if id(module) not in seen:
                seen.add(id(module))
                hooks.append(module.register_forward_pre_hook(hook_for(id(module))))
        yield
    finally:
        for hook in hooks:
            hook.remove()


@dataclass
class _Pass:
    """One forward pass's outputs (torch tensors)."""

    attentions: Any  # [batch, layer, head, query, key] or None
    hidden: Any  # [batch, token, dim]: the last hidden state
    logits: Any  # [batch, token, vocab] or None


def _forward(runner: _Runner, inputs: dict, edit: Edit | None, attentions: bool = True, grad: bool = False) -> _Pass:
    """Run the model once on the inputs, the heads' context vectors edited by `edit`."""
    import torch

    loaded = runner.loaded
    context = torch.enable_grad() if grad else torch.inference_mode()
    with context, _editing(loaded, edit) if edit else contextlib.nullcontext():
        if loaded.family == ENCODER_DECODER:
            out = runner.model.get_encoder()(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], output_attentions=attentions
            )
            return _Pass(_stack(out.attentions, loaded) if attentions else None, out.last_hidden_state, None)
        out = runner.model(**inputs, output_attentions=attentions, output_hidden_states=runner.task != EMBEDDING)
    hidden = out.last_hidden_state if runner.task == EMBEDDING else out.hidden_states[-1]
    return _Pass(_stack(out.attentions, loaded) if attentions else None, hidden, getattr(out, "logits", None))


def _stack(layers, loaded: LoadedModel):
    """The per-layer attentions as one [batch, layer, head, query, key] tensor; eager attention is required."""
    import torch

    if not layers or len(layers) != loaded.num_layers:
        raise RuntimeError(
            f"model returned {len(layers or ())} attention arrays for {loaded.num_layers} layers; "
            "it must be loaded with attn_implementation='eager'"
        )
    return torch.stack(layers, dim=1)


def _recorder(store: dict[int, Any]) -> Edit:
    """An edit that changes nothing and keeps each layer's context vectors."""

    def record(layer: int, x):
        store[layer] = x.detach()
        return x

    return record


def _means(store: dict[int, Any], mask) -> dict[int, Any]:
    """Per layer, each head's mean context vector over the text's tokens: [heads * d_k] (batch of one text)."""
    m = mask[0].bool()
    return {layer: x[0, m].mean(dim=0) for layer, x in store.items()}


# --- one text, encoded once -----------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A text encoded for the model, with what an Attention needs."""

    text: str
    inputs: dict  # input_ids, attention_mask (and token_type_ids where read)
    ids: list[int]
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    special: tuple[bool, ...]
    dropped: int


def _encode(loaded: LoadedModel, text: str) -> _Text:
    """Tokenize one text as `attention.run` does (truncated to what the model accepts)."""
    attention.check_text(text)
    enc = attention._encode(loaded, text, loaded.max_tokens)
    if enc["input_ids"].shape[1] == 0:
        raise InputError("the tokenizer produced no tokens for this text")
    ids, offsets, special, tokens = attention._side(loaded, enc, text)
    if all(special):
        raise attention.nothing_to_score()
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask")}
    if (
        "token_type_ids" in enc
        and getattr(loaded.model.config, "type_vocab_size", 0)
        and loaded.family != ENCODER_DECODER
    ):
        inputs["token_type_ids"] = enc["token_type_ids"]
    return _Text(
        text=text,
        inputs=inputs,
        ids=ids,
        tokens=tokens,
        offsets=offsets,
        special=special,
        dropped=attention._dropped(loaded, text),
    )


def token_count(loaded: LoadedModel, text: str) -> int:
    """How many tokens the model reads of the text (special tokens included, after truncation)."""
    return len(_encode(loaded, text).ids)


def _repeat(inputs: dict, rows: int) -> dict:
    """The same inputs copied `rows` times along the batch."""
    return {k: v.expand(rows, -1).contiguous() for k, v in inputs.items()}


def _attention(loaded: LoadedModel, t: _Text, weights: np.ndarray) -> Attention:
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


# --- knockout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One predicted word and its probability."""

    word: str
    probability: float


@dataclass(frozen=True)
class Prediction:
    """The top words at one position, intact and with the heads knocked out."""

    position: int  # token index: a [MASK], or the last token (the next word follows it)
    intact: tuple[Word, ...]
    knocked_out: tuple[Word, ...]


@dataclass(frozen=True)
class ArcChange:
    """Attention along one arc of the sentence, every head, intact and knocked out (word level, Clark et al.)."""

    relation: str
    direction: str  # dependent->head or head->dependent
    source: str  # the word that attends
    target: str  # the word attended to
    intact: np.ndarray  # [layer, head]
    knocked_out: np.ndarray  # [layer, head]

    @property
    def change(self) -> np.ndarray:
        """Knocked out minus intact, [layer, head]."""
        return self.knocked_out - self.intact

    @property
    def largest(self) -> tuple[int, int]:
        """The head whose attention along the arc changed most."""
        layer, head = np.unravel_index(int(np.abs(self.change).argmax()), self.change.shape)
        return int(layer), int(head)


@dataclass(frozen=True)
class Knockout:
    """The model run intact and with some heads switched off."""

    heads: tuple[tuple[int, int], ...]
    ablation: str
    task: str  # EMBEDDING, MASKED or NEXT
    intact: Attention
    knocked_out: Attention
    token_change: np.ndarray  # [token] 1 - cosine of each token's last hidden state
    embedding_cosine: float | None  # sentence-embedding models only
    pooling: tuple[str, ...]  # how the sentence embedding was pooled
    predictions: tuple[Prediction, ...] | None  # masked LMs and decoders only
    arcs: tuple[ArcChange, ...] = ()

    @property
    def difference(self) -> np.ndarray:
        """Knocked-out minus intact attention, [layer, head, query, key]."""
        return self.knocked_out.weights - self.intact.weights

    def largest_change(self) -> np.ndarray:
        """Per head, the largest |knocked out - intact| of one weight, [layer, head] (one head at a time: no
        whole difference array, 75 MB at 512 tokens)."""
        a, b = self.intact.weights, self.knocked_out.weights
        out = np.zeros(a.shape[:2], dtype=np.float32)
        for layer in range(a.shape[0]):
            for head in range(a.shape[1]):
                d = b[layer, head] - a[layer, head]
                if d.size:
                    out[layer, head] = max(float(d.max()), -float(d.min()))
        return out

    def first_changed_layer(self) -> int:
        """The first layer whose attention can change: the one after the earliest knocked-out head."""
        return min(layer for layer, _ in self.heads) + 1


def knockout(
    loaded: LoadedModel,
    text: str,
    heads: Sequence[tuple[int, int]],
    ablation: str = "zero",
    parse: syntax.Parse | None = None,
) -> Knockout:
    """Run the text intact and with `heads` knocked out; compare attention, output and the arcs.

    `parse` (the sentence's dependency parse) adds the attention change along its nsubj and amod arcs.
    """
    if ablation not in ABLATIONS:
        raise InputError(f"unknown ablation {ablation!r}; pick one of {', '.join(ABLATIONS)}")
    heads = tuple(sorted({check_head(int(layer), int(h), loaded.num_layers, loaded.num_heads) for layer, h in heads}))
    if not heads:
        raise InputError("no heads to switch off: pick at least one head, e.g. L2H8")
    import torch

    runner = _runner(loaded)
    t = _encode(loaded, text)
    store: dict[int, Any] = {}

    def run() -> _Pass:
        if ablation == "zero":  # one pass: row 0 intact, row 1 knocked out
            return _forward(runner, _repeat(t.inputs, 2), _batch_edit([(), heads], loaded.num_heads, None))
        intact = _forward(runner, t.inputs, _recorder(store))  # the means come from the intact run
        means = _means(store, t.inputs["attention_mask"])
        knocked = _forward(runner, t.inputs, _batch_edit([heads], loaded.num_heads, means))
        return _Pass(
            *(
                None if a is None else torch.cat([a, b])
                for a, b in (
                    (intact.attentions, knocked.attentions),
                    (intact.hidden, knocked.hidden),
                    (intact.logits, knocked.logits),
                )
            )
        )

    both = attention.guard_memory(run, 2 * len(t.ids))
    before = _attention(loaded, t, both.attentions[0].float().numpy())
    after = _attention(loaded, t, both.attentions[1].float().numpy())
    h0, h1 = both.hidden[0].float().numpy(), both.hidden[1].float().numpy()
    mask = t.inputs["attention_mask"].numpy()
    cos = None
    if runner.task == EMBEDDING:
        cos = float(cosine(pool(h0[None], mask, runner.pooling), pool(h1[None], mask, runner.pooling))[0])
    preds = None
    if runner.task != EMBEDDING:
        preds = tuple(_predictions(loaded, t, runner.task, both.logits[0], both.logits[1]))
    return Knockout(
        heads=heads,
        ablation=ablation,
        task=runner.task,
        intact=before,
        knocked_out=after,
        token_change=(1 - cosine(h0, h1)).astype(np.float32),
        embedding_cosine=cos,
        pooling=runner.pooling,
        predictions=preds,
        arcs=arc_changes(before, after, parse) if parse is not None else (),
    )


def mask_positions(loaded: LoadedModel, ids: Sequence[int]) -> list[int]:
    """Where the tokenizer's mask token is in the ids."""
    mask_id = getattr(loaded.tokenizer, "mask_token_id", None)
    return [i for i, v in enumerate(ids) if mask_id is not None and v == mask_id]


def _positions(loaded: LoadedModel, t: _Text, task: str) -> list[int]:
    """The positions whose prediction is shown: the [MASK]s, or the last token (the next word)."""
    if task == NEXT:
        return [len(t.ids) - 1]
    return mask_positions(loaded, t.ids)


def _top(loaded: LoadedModel, logits) -> tuple[Word, ...]:
    """The TOP most probable words of one position's logits."""
    import torch

    probs = torch.softmax(logits.float(), dim=-1)
    values, ids = probs.topk(min(TOP, probs.shape[-1]))
    words = loaded.tokenizer.convert_ids_to_tokens(ids.tolist())
    return tuple(Word(attention.clean_token(w), float(p)) for w, p in zip(words, values.tolist()))


def _predictions(loaded: LoadedModel, t: _Text, task: str, before, after) -> list[Prediction]:
    """Top words at each [MASK] (masked LMs) or after the last token (decoders), intact and knocked out."""
    return [
        Prediction(position=i, intact=_top(loaded, before[i]), knocked_out=_top(loaded, after[i]))
        for i in _positions(loaded, t, task)
    ]


def arc_changes(
    intact: Attention, knocked: Attention, p: syntax.Parse, relations: Sequence[str] = ARC_RELATIONS
) -> tuple[ArcChange, ...]:
    """Every head's attention along the parse's arcs of these relations, both directions, before and after.

    Word level as `syntax.word_attention` (Clark et al.), merged for the arcs' words only: a long
    text's whole word-level arrays cost more than its forward pass.
    """
    if not intact.square:
        return ()
    groups = syntax.align(intact.offsets, intact.special, p.spans)
    keep = [i for i, g in enumerate(groups) if g]
    kept = syntax.restrict(p, keep) if len(keep) < len(groups) else p
    arcs = [(relation, d, g) for relation in relations for d, g, _ in kept.arcs(relation)]
    if not arcs:
        return ()
    on_arcs = sorted({w for _, d, g in arcs for w in (d, g)})
    local = {w: i for i, w in enumerate(on_arcs)}
    pieces = [groups[keep[w]] for w in on_arcs]
    index = np.array([i for g in pieces for i in g], dtype=np.intp)
    starts = np.cumsum([0] + [len(g) for g in pieces[:-1]])
    spans = [list(range(a, a + len(g))) for a, g in zip(starts, pieces)]

    def merged(att: Attention) -> np.ndarray:
        return words.merge_weights(att.weights[:, :, index][:, :, :, index], spans)

    wa, wb = merged(intact), merged(knocked)
    found = []
    for relation, d, g in arcs:
        for direction, (src, dst) in zip(syntax.DIRECTIONS, ((d, g), (g, d))):
            i, j = local[src], local[dst]
            found.append(
                ArcChange(
                    relation=relation,
                    direction=direction,
                    source=kept.words[src],
                    target=kept.words[dst],
                    intact=wa[:, :, i, j].copy(),
                    knocked_out=wb[:, :, i, j].copy(),
                )
            )
    return tuple(found)


# --- importance: every head knocked out on its own, in one batch ------------------------------


@dataclass(frozen=True)
class Importance:
    """Each head's effect on the output when it alone is knocked out, [layer, head]."""

    model: str
    tokens: tuple[str, ...]
    effect: np.ndarray  # float32 [layer, head]
    measure: str
    ablation: str
    gradient: np.ndarray | None = None  # Michel et al. 2019, [layer, head]; None without a loss
    sentences: int = 1  # how many texts the effect is averaged over
    per_sentence: np.ndarray | None = None  # a corpus's: each text's effect, [sentence, layer, head]


def _batch_edit(rows: Sequence[Sequence[tuple[int, int]]], num_heads: int, means: dict[int, Any] | None) -> Edit:
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


def _rows_per_pass(tokens: int, loaded: LoadedModel) -> int:
    """How many copies of a text one pass takes: its attention scores stay within ~64 MB a layer."""
    per_row = 4 * loaded.num_heads * tokens * tokens * 3  # scores, weights, and a copy
    return max(1, min(loaded.num_layers * loaded.num_heads, (64 << 20) // max(per_row, 1)))


def _effects(runner: _Runner, t: _Text, intact: _Pass, knocked: _Pass, mask) -> tuple[np.ndarray, str]:
    """Per knocked-out row, the effect on the output, and what that effect is."""
    import torch

    loaded = runner.loaded
    if runner.task == EMBEDDING:
        m = mask.numpy()
        e0 = pool(intact.hidden.float().numpy(), m, runner.pooling)
        rows = knocked.hidden.shape[0]
        e1 = pool(knocked.hidden.float().numpy(), np.repeat(m, rows, axis=0), runner.pooling)
        return 1 - cosine(e1, e0), MEASURES[EMBEDDING]
    positions = _positions(loaded, t, runner.task)
    measure = MEASURES[runner.task]
    if not positions:  # a masked LM on a text without [MASK]: every token's prediction
        positions = [i for i, s in enumerate(t.special) if not s] or list(range(len(t.ids)))
        measure = MEASURES[MASKED + "-all"]
    p = torch.log_softmax(intact.logits[:, positions].double(), dim=-1)  # [1, P, V]
    q = torch.log_softmax(knocked.logits[:, positions].double(), dim=-1)  # [R, P, V]
    kl = (p.exp() * (p - q)).sum(-1).mean(-1)
    return kl.numpy(), measure


def importance(
    loaded: LoadedModel,
    text: str,
    ablation: str = "zero",
    gradient: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Importance:
    """Every head knocked out on its own (batched), its effect on the output as a [layer, head] grid.

    With `gradient`, Michel et al. 2019's score too where the model has a loss. `progress(done, total)`
    is called before the first pass and after each one (heads done of all heads); it may raise to stop.
    """
    if ablation not in ABLATIONS:
        raise InputError(f"unknown ablation {ablation!r}; pick one of {', '.join(ABLATIONS)}")
    runner = _runner(loaded)
    t = _encode(loaded, text)
    heads = [(layer, head) for layer in range(loaded.num_layers) for head in range(loaded.num_heads)]
    store: dict[int, Any] = {}
    mask = t.inputs["attention_mask"]

    def run():
        means, intact = None, None
        if ablation == "mean":  # the means come from an intact run
            intact = _forward(runner, t.inputs, _recorder(store), attentions=False)
            means = _means(store, mask)
        step = _rows_per_pass(len(t.ids), loaded)
        effects, measure = [], MEASURES[runner.task]
        if progress:
            progress(0, len(heads))
        for start in range(0, len(heads), step):
            rows = [[head] for head in heads[start : start + step]]
            if intact is None:  # zero ablation: the intact run is the first pass's last row
                rows.append([])
            out = _forward(
                runner, _repeat(t.inputs, len(rows)), _batch_edit(rows, loaded.num_heads, means), attentions=False
            )
            if intact is None:
                intact = _Pass(None, out.hidden[-1:], None if out.logits is None else out.logits[-1:])
                out = _Pass(None, out.hidden[:-1], None if out.logits is None else out.logits[:-1])
            effect, measure = _effects(runner, t, intact, out, mask)
            effects.append(effect)
            if progress:
                progress(min(start + step, len(heads)), len(heads))
        return np.concatenate(effects), measure

    effect, measure = attention.guard_memory(run, len(t.ids) * len(heads))
    grid = np.asarray(effect, dtype=np.float32).reshape(loaded.num_layers, loaded.num_heads)
    scores = gradient_importance(loaded, text, runner=runner, encoded=t) if gradient else None
    return Importance(
        model=loaded.name, tokens=t.tokens, effect=grid, measure=measure, ablation=ablation, gradient=scores
    )


GRADIENT_MEASURES = {
    MASKED: "|d loss / d gate| (Michel et al. 2019); loss: cross-entropy of the intact model's top word at each "
    "[MASK] (of the text's own token at every token when the text has no [MASK])",
    NEXT: "|d loss / d gate| (Michel et al. 2019); loss: the language-model loss of the text, each token from "
    "the ones before it",
}
NO_GRADIENT = (
    "a sentence-embedding model has no loss to differentiate, so Michel et al.'s gradient score is not defined for it"
)


def gradient_importance(
    loaded: LoadedModel, text: str, runner: _Runner | None = None, encoded: _Text | None = None
) -> np.ndarray | None:
    """Michel et al. 2019: |sum over tokens of d loss / d gate| per head, for a gate of ones on each head's slice.

    None for a sentence-embedding model (it has no loss). The model's own parameters get no gradient.
    """
    import torch

    runner = runner or _runner(loaded)
    if runner.task == EMBEDDING:
        return None
    t = encoded or _encode(loaded, text)
    gates = torch.ones(loaded.num_layers, loaded.num_heads, requires_grad=True)

    def gate(layer: int, x):
        d_k = x.shape[-1] // loaded.num_heads
        return x * gates[layer].repeat_interleave(d_k)

    def run():
        out = _forward(runner, t.inputs, gate, attentions=False, grad=True)
        logits = out.logits[0].float()
        ids = torch.tensor(t.ids)
        if runner.task == NEXT:
            if len(t.ids) < 2:
                return np.zeros((loaded.num_layers, loaded.num_heads), dtype=np.float32)
            loss = torch.nn.functional.cross_entropy(logits[:-1], ids[1:])
        else:
            positions = mask_positions(loaded, t.ids)
            if positions:
                labels = logits[positions].detach().argmax(-1)
            else:
                positions = [i for i, s in enumerate(t.special) if not s] or list(range(len(t.ids)))
                labels = ids[positions]
            loss = torch.nn.functional.cross_entropy(logits[positions], labels)
        (grad,) = torch.autograd.grad(loss, gates)
        return grad.abs().numpy().astype(np.float32)

    return attention.guard_memory(run, len(t.ids))


def gradient_measure(task: str) -> str:
    """What the gradient score is for a model of this task, or why there is none."""
    return GRADIENT_MEASURES.get(task, NO_GRADIENT)


def task(loaded: LoadedModel) -> str:
    """What knockout compares for this model: EMBEDDING, MASKED or NEXT."""
    return _runner(loaded).task


# --- importance over the bundled corpus, cached on disk as the atlas is -----------------------


def corpus_cache_key(model_name: str, corpus_text: str, ablation: str = "zero") -> str:
    """A file name for the corpus importance of this model, corpus, ablation and method version."""
    digest = hashlib.sha256(f"{IMPORTANCE_VERSION}\0{model_name}\0{ablation}\0{corpus_text}".encode()).hexdigest()[:16]
    return f"importance-{digest}.json"


def corpus_importance(
    loaded: LoadedModel,
    texts: Sequence[str],
    ablation: str = "zero",
    name: str = "corpus",
    progress: Callable[[int, int], None] | None = None,
) -> Importance:
    """Each head's effect averaged over the texts (texts with nothing to read are skipped); each text's kept too.

    `progress(done, total)` is called before the first text and after each one (texts); it may raise to stop.
    """
    effects, measure = [], MEASURES[task(loaded)]
    if progress:
        progress(0, len(texts))
    for i, text in enumerate(texts):
        try:
            one = importance(loaded, text, ablation, gradient=False)
        except InputError:
            one = None
        if one is not None:
            effects.append(one.effect)
            measure = one.measure
        if progress:
            progress(i + 1, len(texts))
    if not effects:
        raise InputError(f"{name} has no sentence the model can read")
    per_sentence = np.stack(effects).astype(np.float32)
    return Importance(
        model=loaded.name,
        tokens=(),
        effect=per_sentence.astype(np.float64).mean(axis=0).astype(np.float32),
        measure=f"{measure}, averaged over {len(effects):,} sentences of the {name}",
        ablation=ablation,
        sentences=len(effects),
        per_sentence=per_sentence,
    )


SHIPPED = Path(__file__).resolve().parent.parent / "data" / "importance"
"""The bundled model's importance over the bundled corpus, shipped (scripts/ship_importance.py), read first."""


def _bundled_cache(loaded: LoadedModel, ablation: str) -> tuple[Path, str]:
    """Where the bundled corpus's importance for this model is kept (atlas.cache_dir), and the corpus's text."""
    from headscope import atlas, corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return atlas.cache_dir() / corpus_cache_key(loaded.name, text, ablation), text


def read_importance(path: Path) -> Importance | None:
    """A corpus importance written by `write_importance`, or None if the file is missing or damaged."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        per_sentence = doc.get("per_sentence")
        return Importance(
            model=doc["model"],
            tokens=(),
            effect=np.asarray(doc["effect"], dtype=np.float32),
            measure=doc["measure"],
            ablation=doc["ablation"],
            sentences=int(doc["sentences"]),
            per_sentence=None if per_sentence is None else np.asarray(per_sentence, dtype=np.float32),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_importance(result: Importance, path: Path) -> None:
    """Write a corpus importance as JSON (atomically: a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    doc = {
        "model": result.model,
        "effect": result.effect.tolist(),
        "measure": result.measure,
        "ablation": result.ablation,
        "sentences": result.sentences,
    }
    if result.per_sentence is not None:
        doc["per_sentence"] = np.round(result.per_sentence.astype(np.float64), 9).tolist()
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


def cached_bundled_importance(loaded: LoadedModel, ablation: str = "zero") -> Importance | None:
    """The importance over the bundled corpus if it is shipped (data/importance/) or in the disk cache, else None.

    Nothing is computed. The file's name is a hash of the method's version, the model and the
    corpus: a stale file is not found.
    """
    path, _ = _bundled_cache(loaded, ablation)
    for where in (SHIPPED / path.name, path):
        found = read_importance(where) if where.is_file() else None
        if found is not None:
            return found
    return None  # not there yet, or damaged: computed again


def bundled_sentences() -> list[str]:
    """The bundled corpus's sentences, as its importance averages them."""
    from headscope import corpus

    text = corpus.SIMPLE_CORPUS.read_text(encoding="utf-8")
    return [line.strip() for line in corpus.lines_of(text) if line.strip()]


def bundled_importance(
    loaded: LoadedModel, ablation: str = "zero", progress: Callable[[int, int], None] | None = None
) -> Importance:
    """The importance averaged over the bundled corpus: shipped, from the disk cache, else computed and stored."""
    found = cached_bundled_importance(loaded, ablation)
    if found is not None:
        return found
    path, _ = _bundled_cache(loaded, ablation)
    result = corpus_importance(loaded, bundled_sentences(), ablation, "bundled corpus", progress)
    try:
        write_importance(result, path)
    except OSError:
        pass  # a read-only disk only costs the recomputation next time
    return result


# --- JSON (the CLI's documents) -------------------------------------------------------------


def _words_json(words: Sequence[Word]) -> list[dict]:
    """Predicted words as JSON."""
    return [{"word": w.word, "probability": w.probability} for w in words]


def predictions_json(k: Knockout) -> dict | None:
    """The `predictions` field: top words per position, intact and knocked out; None for embedding models."""
    if k.predictions is None:
        return None
    return {
        "kind": "next word" if k.task == NEXT else "masked word",
        "positions": [
            {
                "position": p.position,
                "token": k.intact.tokens[p.position],
                "intact": _words_json(p.intact),
                "knocked_out": _words_json(p.knocked_out),
            }
            for p in k.predictions
        ],
    }


def knockout_json(k: Knockout) -> dict:
    """The `knockout` command's JSON document."""
    return {
        "model": k.intact.model,
        "tokens": list(k.intact.tokens),
        "heads": [[layer, head] for layer, head in k.heads],
        "ablation": k.ablation,
        "attention": k.knocked_out.weights,
        "attention_intact": k.intact.weights,
        "embedding_cosine": k.embedding_cosine,
        "pooling": list(k.pooling) if k.embedding_cosine is not None else None,
        "token_change": k.token_change,
        "predictions": predictions_json(k),
        "arcs": [
            {
                "relation": a.relation,
                "direction": a.direction,
                "source": a.source,
                "target": a.target,
                "intact": a.intact,
                "knocked_out": a.knocked_out,
                "largest_change": {
                    "layer": a.largest[0],
                    "head": a.largest[1],
                    "intact": float(a.intact[a.largest]),
                    "knocked_out": float(a.knocked_out[a.largest]),
                },
            }
            for a in k.arcs
        ],
    }


def importance_json(imp: Importance, gradient_measure_text: str | None = None) -> dict:
    """The `importance` command's JSON document."""
    return {
        "model": imp.model,
        "tokens": list(imp.tokens),
        "effect": imp.effect,
        "measure": imp.measure,
        "ablation": imp.ablation,
        "gradient": imp.gradient,
        "gradient_measure": gradient_measure_text,
    }
