"""The CLI's JSON documents for a knockout and an importance."""

from __future__ import annotations

from typing import Sequence

from headscope.knockout.edit import NEXT
from headscope.knockout.outcome import Knockout, Word
from headscope.knockout.scores import Importance

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
