"""One knockout: the text run intact and with some heads switched off, and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from headscope import attention, syntax, words
from headscope.attention import Attention, InputError
from headscope.knockout.edit import (
    ABLATIONS,
    EMBEDDING,
    NEXT,
    Pass,
    Text,
    as_attention,
    batch_edit,
    check_head,
    encode,
    forward,
    means_of,
    recorder,
    repeat,
    runner_of,
)
from headscope.knockout.pooling import cosine, pool
from headscope.models import LoadedModel

ARC_RELATIONS = ("nsubj", "amod")
"""The arcs whose attention change is reported: subject -> verb and adjective -> noun."""
TOP = 5
"""How many words a prediction lists."""

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

    runner = runner_of(loaded)
    t = encode(loaded, text)
    store: dict[int, Any] = {}

    def run() -> Pass:
        if ablation == "zero":  # one pass: row 0 intact, row 1 knocked out
            return forward(runner, repeat(t.inputs, 2), batch_edit([(), heads], loaded.num_heads, None))
        intact = forward(runner, t.inputs, recorder(store))  # the means come from the intact run
        means = means_of(store, t.inputs["attention_mask"])
        knocked = forward(runner, t.inputs, batch_edit([heads], loaded.num_heads, means))
        return Pass(
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
    before = as_attention(loaded, t, both.attentions[0].float().numpy())
    after = as_attention(loaded, t, both.attentions[1].float().numpy())
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


def shown_positions(loaded: LoadedModel, t: Text, task: str) -> list[int]:
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


def _predictions(loaded: LoadedModel, t: Text, task: str, before, after) -> list[Prediction]:
    """Top words at each [MASK] (masked LMs) or after the last token (decoders), intact and knocked out."""
    return [
        Prediction(position=i, intact=_top(loaded, before[i]), knocked_out=_top(loaded, after[i]))
        for i in shown_positions(loaded, t, task)
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
