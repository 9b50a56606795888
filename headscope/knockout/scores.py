"""Every head's importance: each knocked out on its own (batched), Michel et al.'s gradient score, over a corpus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from headscope import attention
from headscope.attention import InputError
from headscope.knockout.edit import (
    ABLATIONS,
    EMBEDDING,
    MASKED,
    NEXT,
    Pass,
    Runner,
    Text,
    batch_edit,
    encode,
    forward,
    means_of,
    recorder,
    repeat,
    runner_of,
)
from headscope.knockout.outcome import mask_positions, shown_positions
from headscope.knockout.pooling import cosine, pool
from headscope.models import LoadedModel

MEASURES = {
    EMBEDDING: "1 - cosine between the intact and knocked-out sentence embeddings",
    MASKED: "KL divergence (intact || knocked out) of the predicted words at [MASK], mean over the [MASK]s",
    MASKED + "-all": "KL divergence (intact || knocked out) of the predicted word at every token, mean over tokens",
    NEXT: "KL divergence (intact || knocked out) of the next-word prediction",
}
"""What an importance `effect` is, by what the model outputs."""


HEAVY_TOKENS = 40
"""Texts of more tokens than this are heavy work: every head's importance is computed on request, not with the page.

Importance is one knockout per head (73 rows of the text): on one core about 0.2 s at 10 tokens,
0.7 s at 32, 1.4 s at 64 and 15-35 s at 512 (a 450-word text). Up to 40 tokens (a long
sentence) it stays under a second, about what the page's other work costs, so it comes at once.
"""


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


def _rows_per_pass(tokens: int, loaded: LoadedModel) -> int:
    """How many copies of a text one pass takes: its attention scores stay within ~64 MB a layer."""
    per_row = 4 * loaded.num_heads * tokens * tokens * 3  # scores, weights, and a copy
    return max(1, min(loaded.num_layers * loaded.num_heads, (64 << 20) // max(per_row, 1)))


def _effects(runner: Runner, t: Text, intact: Pass, knocked: Pass, mask) -> tuple[np.ndarray, str]:
    """Per knocked-out row, the effect on the output, and what that effect is."""
    import torch

    loaded = runner.loaded
    if runner.task == EMBEDDING:
        m = mask.numpy()
        e0 = pool(intact.hidden.float().numpy(), m, runner.pooling)
        rows = knocked.hidden.shape[0]
        e1 = pool(knocked.hidden.float().numpy(), np.repeat(m, rows, axis=0), runner.pooling)
        return 1 - cosine(e1, e0), MEASURES[EMBEDDING]
    positions = shown_positions(loaded, t, runner.task)
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
    runner = runner_of(loaded)
    t = encode(loaded, text)
    heads = [(layer, head) for layer in range(loaded.num_layers) for head in range(loaded.num_heads)]
    store: dict[int, Any] = {}
    mask = t.inputs["attention_mask"]

    def run():
        means, intact = None, None
        if ablation == "mean":  # the means come from an intact run
            intact = forward(runner, t.inputs, recorder(store), attentions=False)
            means = means_of(store, mask)
        step = _rows_per_pass(len(t.ids), loaded)
        effects, measure = [], MEASURES[runner.task]
        if progress:
            progress(0, len(heads))
        for start in range(0, len(heads), step):
            rows = [[head] for head in heads[start : start + step]]
            if intact is None:  # zero ablation: the intact run is the first pass's last row
                rows.append([])
            out = forward(
                runner, repeat(t.inputs, len(rows)), batch_edit(rows, loaded.num_heads, means), attentions=False
            )
            if intact is None:
                intact = Pass(None, out.hidden[-1:], None if out.logits is None else out.logits[-1:])
                out = Pass(None, out.hidden[:-1], None if out.logits is None else out.logits[:-1])
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
    loaded: LoadedModel, text: str, runner: Runner | None = None, encoded: Text | None = None
) -> np.ndarray | None:
    """Michel et al. 2019: |sum over tokens of d loss / d gate| per head, for a gate of ones on each head's slice.

    None for a sentence-embedding model (it has no loss). The model's own parameters get no gradient.
    """
    import torch

    runner = runner or runner_of(loaded)
    if runner.task == EMBEDDING:
        return None
    t = encoded or encode(loaded, text)
    gates = torch.ones(loaded.num_layers, loaded.num_heads, requires_grad=True)

    def gate(layer: int, x):
        d_k = x.shape[-1] // loaded.num_heads
        return x * gates[layer].repeat_interleave(d_k)

    def run():
        out = forward(runner, t.inputs, gate, attentions=False, grad=True)
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
    return runner_of(loaded).task


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
