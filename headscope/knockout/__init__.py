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

The package's rooms: `edit` (which heads, the model run, the edit of each layer's context, one
forward pass), `pooling` (how outputs are compared), `outcome` (one knockout), `scores` (every
head's importance, the gradient score), `store` (the bundled corpus's importance on disk) and
`serial` (the CLI's JSON). Import this package, not its rooms: `knockout.knockout(...)`.

What knockout does not show: other heads can compensate for a head that is switched off,
and zero is one choice of ablation (the mean is another); a small effect does not prove a
head is useless, only that the model does not need it alone for this output.
"""

from __future__ import annotations

from headscope.knockout.edit import (
    ABLATION_WORDS,
    ABLATIONS,
    EMBEDDING,
    MASKED,
    NEXT,
    Edit,
    NotKnockable,
    check_head,
    parse_heads,
    token_count,
)
from headscope.knockout.outcome import (
    ARC_RELATIONS,
    TOP,
    ArcChange,
    Knockout,
    Prediction,
    Word,
    arc_changes,
    knockout,
    mask_positions,
)
from headscope.knockout.pooling import cosine, pool, pooling_modes
from headscope.knockout.scores import (
    GRADIENT_MEASURES,
    HEAVY_TOKENS,
    MEASURES,
    NO_GRADIENT,
    Importance,
    corpus_importance,
    gradient_importance,
    gradient_measure,
    importance,
    task,
)
from headscope.knockout.serial import importance_json, knockout_json, predictions_json
from headscope.knockout.store import (
    IMPORTANCE_VERSION,
    SHIPPED,
    bundled_cache,
    bundled_importance,
    bundled_sentences,
    cached_bundled_importance,
    corpus_cache_key,
    read_importance,
    write_importance,
)

__all__ = [
    "ABLATIONS",
    "ABLATION_WORDS",
    "ARC_RELATIONS",
    "EMBEDDING",
    "GRADIENT_MEASURES",
    "HEAVY_TOKENS",
    "IMPORTANCE_VERSION",
    "MASKED",
    "MEASURES",
    "NEXT",
    "NO_GRADIENT",
    "SHIPPED",
    "TOP",
    "ArcChange",
    "Edit",
    "Importance",
    "Knockout",
    "NotKnockable",
    "Prediction",
    "Word",
    "arc_changes",
    "bundled_cache",
    "bundled_importance",
    "bundled_sentences",
    "cached_bundled_importance",
    "check_head",
    "corpus_cache_key",
    "corpus_importance",
    "cosine",
    "gradient_importance",
    "gradient_measure",
    "importance",
    "importance_json",
    "knockout",
    "knockout_json",
    "mask_positions",
    "parse_heads",
    "pool",
    "pooling_modes",
    "predictions_json",
    "read_importance",
    "task",
    "token_count",
    "write_importance",
]
