"""Run a model on a text and collect its attention as a [layer, head, query, key] array.

`run` (and `run_batch`, `run_seq2seq`, `SharedRuns`) give an `Attention`. The steps under them are
public for the modules that run the model their own way (knockout, Q/K/V): `encode` tokenizes as
every pass does, `encoded_tokens` reads an encoding's ids, offsets, special flags and tokens,
`dropped_tokens` counts what truncation cuts, and `forward` runs one padded pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from headscope.errors import first_line, out_of_memory
from headscope.families import ENCODER_DECODER, self_attentions
from headscope.models import LoadedModel


class InputError(ValueError):
    """The text cannot be analysed; the message says why and what to do instead."""


class OutOfMemory(InputError):
    """The machine ran out of memory running the model on this input; a shorter text may fit."""


def guard_memory(call, tokens: int):
    """Return call(); a MemoryError or torch out-of-memory error in it becomes OutOfMemory.

    The error is raised after the failed call's frames are gone, so none of its tensors
    stay referenced by the exception (nothing half-made is kept), and the memory is
    collected before the next request.
    """
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - MemoryError and torch.OutOfMemoryError are Exceptions
        if not out_of_memory(exc):
            raise
    import gc

    gc.collect()
    raise OutOfMemory(f"not enough memory for {tokens:,} tokens; try a shorter text")


class Axis(NamedTuple):
    """The tokens along one side of an attention array, and where each one is in its text.

    A named tuple: `tokens, text, offsets, special = axis` reads it whole.
    """

    tokens: tuple[str, ...]
    text: str
    offsets: tuple[tuple[int, int], ...]  # each token's characters in `text` ((0, 0) for a special token)
    special: tuple[bool, ...]  # [CLS], [SEP], <s>, ...

    def take(self, keep) -> "Axis":
        """The same axis with only the tokens at the indices `keep`, in that order."""
        return Axis(
            tuple(self.tokens[i] for i in keep),
            self.text,
            tuple(self.offsets[i] for i in keep),
            tuple(self.special[i] for i in keep),
        )


@dataclass(frozen=True)
class Attention:
    """Attention of one text: rows attend from, columns attend to, each row sums to 1 (unless weighted by norms).

    `rows` and `columns` are the same axis in self-attention; in cross-attention the rows
    are the target's tokens and the columns the source's. Change both together (`replace(att,
    rows=..., columns=...)`): attention whose two axes differ is not self-attention (`square`).
    """

    model: str
    rows: Axis  # the tokens that attend
    columns: Axis  # the tokens attended to
    weights: np.ndarray  # float32 [layer, head, query, key]
    dropped: int = 0  # tokens cut off because the text was longer than the model accepts
    level: str = "pieces"  # "pieces" (the tokenizer's tokens) or "words"
    causal: bool = False  # a token attends only to itself and the tokens before it
    kind: str = "self"  # self; for encoder-decoder models: encoder, decoder or cross
    # "weights": alpha_ij; "norms": alpha_ij * ||f_h(x_j)|| (headscope.norms), rows do not sum to 1
    weighting: str = "weights"

    @property
    def text(self) -> str:
        """The text the rows' tokens come from."""
        return self.rows.text

    @property
    def tokens(self) -> tuple[str, ...]:
        """The tokens (or words) that attend."""
        return self.rows.tokens

    @property
    def offsets(self) -> tuple[tuple[int, int], ...]:
        """Each row token's characters in `text`."""
        return self.rows.offsets

    @property
    def special(self) -> tuple[bool, ...]:
        """Which row tokens are special ([CLS], [SEP], ...)."""
        return self.rows.special

    @property
    def square(self) -> bool:
        """True for self-attention (the same tokens on both axes)."""
        return self.rows == self.columns

    @property
    def num_layers(self) -> int:
        """Number of layers."""
        return int(self.weights.shape[0])

    @property
    def num_heads(self) -> int:
        """Number of heads per layer."""
        return int(self.weights.shape[1])

    @property
    def num_tokens(self) -> int:
        """Number of tokens (or words) that attend (rows)."""
        return int(self.weights.shape[2])

    @property
    def num_keys(self) -> int:
        """Number of tokens (or words) attended to (columns)."""
        return int(self.weights.shape[3])


_MARKERS = ("\u0120", "\u2581")  # GPT-2's "Ġ" and SentencePiece's "▁" mark a leading space


def clean_token(token: str) -> str:
    """A tokenizer's token as a reader would write it: space markers removed, '##' kept."""
    for marker in _MARKERS:
        if token.startswith(marker) and len(token) > len(marker):
            token = token[len(marker) :]
    return token.replace("\u010a", "\\n").replace("\u0109", "\\t")


MAX_CHARS = 20_000
"""Texts longer than this are refused before tokenizing (a model reads at most a few thousand anyway)."""


NOTHING_TO_SCORE = (
    "the text has no words the model reads (only spaces, invisible or control characters): "
    "type a sentence, e.g. 'The black cat sat on the mat.'"
)


def nothing_to_score() -> InputError:
    """The one error for a text with nothing to show or score: no token besides the special ones, no word."""
    return InputError(NOTHING_TO_SCORE)


def check_text(text: str) -> str:
    """Return the text if it can be analysed, else raise InputError saying why."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("the text is empty: type a sentence, e.g. 'The black cat sat on the mat.'")
    if len(text) > MAX_CHARS:
        raise InputError(
            f"the text has {len(text):,} characters; the limit is {MAX_CHARS:,} "
            "(the model reads at most its first few hundred tokens)"
        )
    return text


PAD_MULTIPLE = 8
"""Every forward pass pads its texts to a multiple of this many tokens (padding on the right).

A text's attention then depends only on the text, not on what it was batched with: a pass
over texts of one padded length gives each exactly the numbers a pass over it alone gives
(float for float; tests/test_batching.py), so a server can batch concurrent sessions' sentences
(`padded_length` groups them) and a page, a download and the CLI agree to the last digit."""


def _pad_multiple(loaded: LoadedModel) -> int | None:
    """PAD_MULTIPLE when this model can be padded so (a padding token, on the right, within its length)."""
    tokenizer = loaded.tokenizer
    if getattr(tokenizer, "pad_token", None) is None or getattr(tokenizer, "padding_side", "right") != "right":
        return None
    return PAD_MULTIPLE if loaded.max_tokens % PAD_MULTIPLE == 0 else None


def batchable(loaded: LoadedModel) -> bool:
    """Whether texts' forward passes can share a batch with numbers identical to their own passes."""
    return loaded.family != ENCODER_DECODER and _pad_multiple(loaded) is not None


def padded_length(loaded: LoadedModel, text: str) -> int:
    """The length a forward pass pads the text to: texts of one padded length batch without changing a number."""
    check_text(text)
    tokens = min(len(loaded.tokenizer(text, verbose=False)["input_ids"]), loaded.max_tokens)
    multiple = _pad_multiple(loaded) or 1
    return -(-tokens // multiple) * multiple


def forward(loaded: LoadedModel, texts: list[str]):
    """Tokenize the texts (truncated, padded on the right to PAD_MULTIPLE) and run the model once.

    Returns (the encoding, as `encode` gives it, and the attentions as float32 numpy
    [batch, layer, head, query, key], padding included: `attention_mask` says which tokens are real).
    """
    import torch

    enc = encode(loaded, texts, loaded.max_tokens, padding=True, pad_to=_pad_multiple(loaded))
    if enc["input_ids"].shape[1] == 0:
        raise InputError("the tokenizer produced no tokens for this text")
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask") if k in enc}
    if "token_type_ids" in enc and getattr(loaded.model.config, "type_vocab_size", 0):
        inputs["token_type_ids"] = enc["token_type_ids"]  # only models with segment embeddings read them
    if loaded.family == ENCODER_DECODER:  # the encoder's self-attention; the decoder reads one start token
        inputs["decoder_input_ids"] = torch.full((len(texts), 1), decoder_start_id(loaded), dtype=torch.long)

    def attend():
        with torch.inference_mode():  # the shared model is only read: no autograd graph, no state kept
            outputs = loaded.model(**inputs, output_attentions=True)
        layers = self_attentions(outputs, loaded.family)
        if not layers or len(layers) != loaded.num_layers:
            raise RuntimeError(
                f"model returned {len(layers or ())} attention arrays for {loaded.num_layers} layers; "
                "it must be loaded with attn_implementation='eager'"
            )
        return torch.stack(layers, dim=1).float().numpy()  # [batch, layer, head, query, key]

    return enc, guard_memory(attend, int(enc["attention_mask"].sum()))  # the texts' tokens, padding apart


def decoder_start_id(loaded: LoadedModel) -> int:
    """The token an encoder-decoder model's decoder starts from."""
    config = loaded.model.config
    for name in ("decoder_start_token_id", "pad_token_id", "bos_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return 0


def encode(
    loaded: LoadedModel, text: str | list[str], max_length: int, padding: bool = False, pad_to: int | None = None
):
    """A text (or texts, padded to a multiple of `pad_to`) tokenized as every pass does: torch tensors with
    offsets (`offset_mapping`) and special-token flags (`special_tokens_mask`), truncated to max_length.

    InputError when the tokenizer cannot read the text.
    """
    try:
        return loaded.tokenizer(
            text,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            truncation=True,
            max_length=max_length,
            padding=padding,
            pad_to_multiple_of=pad_to if padding else None,
            return_tensors="pt",
        )
    except (ValueError, TypeError, RuntimeError, UnicodeError) as exc:
        raise InputError(f"the tokenizer could not read this text ({first_line(exc)[:120]})") from None


def encoded_tokens(loaded: LoadedModel, enc, text: str, prefix: list[int] | None = None):
    """(ids, offsets, special, tokens) of the first text of an encoding (`encode`), cleaned as `clean_token`.

    `prefix`: special ids put before the text's (a decoder's start token), offsets (0, 0).
    """
    ids = enc["input_ids"][0].tolist()
    offsets = [tuple(int(v) for v in o) for o in enc["offset_mapping"][0].tolist()]
    special = [bool(v) for v in enc["special_tokens_mask"][0].tolist()]
    if prefix:
        ids = prefix + ids
        offsets = [(0, 0)] * len(prefix) + offsets
        special = [True] * len(prefix) + special
    tokens = tuple(clean_token(t) for t in loaded.tokenizer.convert_ids_to_tokens(ids))
    return ids, tuple(offsets), tuple(special), tokens


def run_seq2seq(loaded: LoadedModel, source: str, target: str) -> dict[str, Attention]:
    """An encoder-decoder model on a source and a target text (teacher forcing).

    Returns the encoder's self-attention over the source, the decoder's (causal)
    self-attention over the target, and the cross-attention from target to source.
    The decoder reads its start token, then the target's tokens.
    """
    import torch

    check_text(source)
    check_text(target)
    src = encode(loaded, source, loaded.max_tokens)
    tgt = encode(loaded, target, max(1, loaded.max_tokens - 1))
    src_ids, src_offsets, src_special, src_tokens = encoded_tokens(loaded, src, source)
    tgt_ids, tgt_offsets, tgt_special, tgt_tokens = encoded_tokens(loaded, tgt, target, [decoder_start_id(loaded)])

    def attend():
        with torch.inference_mode():
            out = loaded.model(
                input_ids=torch.tensor([src_ids]),
                attention_mask=torch.ones(1, len(src_ids), dtype=torch.long),
                decoder_input_ids=torch.tensor([tgt_ids]),
                output_attentions=True,
            )
        stack = lambda layers: np.ascontiguousarray(torch.stack([a[0] for a in layers]).float().numpy())  # noqa: E731
        return stack(out.encoder_attentions), stack(out.decoder_attentions), stack(out.cross_attentions)

    enc_weights, dec_weights, cross_weights = guard_memory(attend, len(src_ids) + len(tgt_ids))
    source_axis = Axis(src_tokens, source, src_offsets, src_special)
    target_axis = Axis(tgt_tokens, target, tgt_offsets, tgt_special)
    common = dict(model=loaded.name, dropped=dropped_tokens(loaded, source))
    encoder = Attention(rows=source_axis, columns=source_axis, weights=enc_weights, kind="encoder", **common)
    decoder = Attention(
        rows=target_axis, columns=target_axis, weights=dec_weights, kind="decoder", causal=True, **common
    )
    cross = replace(decoder, columns=source_axis, weights=cross_weights, kind="cross", causal=False)
    return {"encoder": encoder, "decoder": decoder, "cross": cross}


KINDS = {"encoder": "encoder self-attention", "decoder": "decoder self-attention", "cross": "cross-attention"}


def dropped_tokens(loaded: LoadedModel, text: str) -> int:
    """How many tokens truncation cuts from the text (the model reads at most `max_tokens`)."""
    full = loaded.tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
    return max(0, len(full) - loaded.max_tokens)


def run_batch(loaded: LoadedModel, texts: list[str]) -> list[Attention]:
    """Run the model on several texts in one padded forward pass; one Attention per text."""
    for text in texts:
        check_text(text)
    if not texts:
        return []
    if len(texts) > 1 and getattr(loaded.tokenizer, "pad_token", None) is None:  # GPT-2: no padding token
        return [run_batch(loaded, [text])[0] for text in texts]
    enc, stacked = forward(loaded, list(texts))
    tokenizer = loaded.tokenizer
    results = []
    for b, text in enumerate(texts):
        mask = enc["attention_mask"][b].bool()
        positions = mask.nonzero().flatten().tolist()  # real tokens (padding may sit on either side)
        ids = enc["input_ids"][b, positions].tolist()
        weights = stacked[b][:, :, positions][:, :, :, positions]
        axis = Axis(
            tokens=tuple(clean_token(t) for t in tokenizer.convert_ids_to_tokens(ids)),
            text=text,
            offsets=tuple((int(a), int(c)) for a, c in enc["offset_mapping"][b, positions].tolist()),
            special=tuple(bool(x) for x in enc["special_tokens_mask"][b, positions].tolist()),
        )
        results.append(
            Attention(
                model=loaded.name,
                rows=axis,
                columns=axis,
                weights=np.ascontiguousarray(weights, dtype=np.float32),
                dropped=dropped_tokens(loaded, text),
                causal=loaded.causal,
            )
        )
    return results


def run(loaded: LoadedModel, text: str, target: str | None = None, kind: str = "encoder") -> Attention:
    """Run the model on the text (truncated to what it accepts) and return its attention.

    For an encoder-decoder model, `target` is the decoder's text (default: the same text)
    and `kind` picks encoder, decoder or cross attention.
    """
    if loaded.family == ENCODER_DECODER:
        if kind not in KINDS:
            raise InputError(f"unknown attention kind {kind!r}; pick one of {', '.join(KINDS)}")
        att = run_seq2seq(loaded, text, target if target and target.strip() else text)[kind]
    else:
        att = run_batch(loaded, [text])[0]
    return _scorable(att)


def _scorable(att: Attention) -> Attention:
    if all(att.rows.special) or all(att.columns.special):  # e.g. only zero-width or control characters: [CLS] [SEP]
        raise nothing_to_score()
    return att


BATCHED_TOKENS = 128
"""Texts up to this padded length share forward passes in a server (`SharedRuns`); longer ones run alone:
they gain little from a batch, and a queue behind them would hold short sentences back."""


class SharedRuns:
    """`run` for a server's concurrent sessions: short texts' passes batched (headscope/batching.py).

    The numbers are those of `run`, float for float (see PAD_MULTIPLE).
    """

    def __init__(self, loaded: LoadedModel, max_items: int = 16):
        from headscope.batching import Batcher

        self.loaded = loaded
        self.batcher = Batcher(
            lambda texts: run_batch(loaded, texts), max_items=max_items, name=f"headscope-forward-{loaded.name}"
        )

    def __call__(self, text: str, target: str | None = None, kind: str = "encoder") -> Attention:
        loaded = self.loaded
        length = padded_length(loaded, text) if batchable(loaded) else None  # a bad text fails here, alone
        if length is None or length > BATCHED_TOKENS:
            return run(loaded, text, target, kind)
        return _scorable(self.batcher(text, group=length))  # texts of one padded length share a pass


def without_special(att: Attention) -> Attention:
    """Drop special tokens from both axes and renormalise each remaining row to sum to 1."""
    keep_rows, keep_cols = (np.flatnonzero(~np.asarray(axis.special, dtype=bool)) for axis in (att.rows, att.columns))
    if keep_rows.size == 0 or keep_cols.size == 0:
        raise nothing_to_score()
    weights = att.weights[:, :, keep_rows][:, :, :, keep_cols]
    totals = weights.sum(axis=-1, keepdims=True)
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    return replace(
        att,
        rows=att.rows.take(keep_rows),
        columns=att.columns.take(keep_cols),
        weights=weights.astype(np.float32, copy=False),
    )
