"""Run a model on a text and collect its attention as a [layer, head, query, key] array."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from headscope.models import LoadedModel


class InputError(ValueError):
    """The text cannot be analysed; the message says why and what to do instead."""


@dataclass(frozen=True)
class Attention:
    """Attention of one text: rows attend from, columns attend to, each row sums to 1."""

    model: str
    text: str
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    special: tuple[bool, ...]
    weights: np.ndarray  # float32 [layer, head, query, key]
    dropped: int = 0  # tokens cut off because the text was longer than the model accepts
    level: str = "pieces"  # "pieces" (the tokenizer's tokens) or "words"

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
        """Number of tokens (or words) on each axis."""
        return int(self.weights.shape[2])


_MARKERS = ("\u0120", "\u2581")  # GPT-2's "Ġ" and SentencePiece's "▁" mark a leading space


def clean_token(token: str) -> str:
    """A tokenizer's token as a reader would write it: space markers removed, '##' kept."""
    for marker in _MARKERS:
        if token.startswith(marker) and len(token) > len(marker):
            token = token[len(marker):]
    return token.replace("\u010a", "\\n").replace("\u0109", "\\t")


def check_text(text: str) -> str:
    """Return the text if it can be analysed, else raise InputError saying why."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("the text is empty: type a sentence, e.g. 'The black cat sat on the mat.'")
    return text


def _forward(loaded: LoadedModel, texts: list[str]):
    """Tokenize (truncated, padded) and run the model once; return the encoding and attentions."""
    import torch

    enc = loaded.tokenizer(
        texts,
        return_offsets_mapping=True,
        return_special_tokens_mask=True,
        truncation=True,
        max_length=loaded.max_tokens,
        padding=True,
        return_tensors="pt",
    )
    if enc["input_ids"].shape[1] == 0:
        raise InputError("the tokenizer produced no tokens for this text")
    inputs = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
    with torch.inference_mode():
        outputs = loaded.model(**inputs, output_attentions=True)
    layers = outputs.attentions
    if not layers or len(layers) != loaded.num_layers:
        raise RuntimeError(
            f"model returned {len(layers or ())} attention arrays for {loaded.num_layers} layers; "
            "it must be loaded with attn_implementation='eager'"
        )
    return enc, torch.stack(layers, dim=1).float().numpy()  # [batch, layer, head, query, key]


def _dropped(loaded: LoadedModel, text: str) -> int:
    """How many tokens truncation cuts from the text."""
    full = loaded.tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
    return max(0, len(full) - loaded.max_tokens)


def run_batch(loaded: LoadedModel, texts: list[str]) -> list[Attention]:
    """Run the model on several texts in one padded forward pass; one Attention per text."""
    for text in texts:
        check_text(text)
    if not texts:
        return []
    enc, stacked = _forward(loaded, list(texts))
    tokenizer = loaded.tokenizer
    results = []
    for b, text in enumerate(texts):
        mask = enc["attention_mask"][b].bool()
        positions = mask.nonzero().flatten().tolist()  # real tokens (padding may sit on either side)
        ids = enc["input_ids"][b, positions].tolist()
        weights = stacked[b][:, :, positions][:, :, :, positions]
        results.append(
            Attention(
                model=loaded.name,
                text=text,
                tokens=tuple(clean_token(t) for t in tokenizer.convert_ids_to_tokens(ids)),
                offsets=tuple((int(a), int(c)) for a, c in enc["offset_mapping"][b, positions].tolist()),
                special=tuple(bool(x) for x in enc["special_tokens_mask"][b, positions].tolist()),
                weights=np.ascontiguousarray(weights, dtype=np.float32),
                dropped=_dropped(loaded, text),
            )
        )
    return results


def run(loaded: LoadedModel, text: str) -> Attention:
    """Run the model on the text (truncated to what it accepts) and return its attention."""
    return run_batch(loaded, [text])[0]


def without_special(att: Attention) -> Attention:
    """Drop special tokens from both axes and renormalise each remaining row to sum to 1."""
    keep = np.flatnonzero(~np.asarray(att.special, dtype=bool))
    if keep.size == 0:
        raise InputError("the text has no tokens besides the special ones")
    weights = att.weights[:, :, keep][:, :, :, keep]
    totals = weights.sum(axis=-1, keepdims=True)
    weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    return replace(
        att,
        tokens=tuple(att.tokens[i] for i in keep),
        offsets=tuple(att.offsets[i] for i in keep),
        special=tuple(False for _ in keep),
        weights=weights.astype(np.float32, copy=False),
    )
