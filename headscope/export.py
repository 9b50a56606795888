"""Data behind the views, for download: attention as .npz and long .csv, scores and atlases as .csv/.json."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from headscope.atlas import Atlas, to_json
from headscope.attention import Attention
from headscope.syntax import DIRECTIONS, RelationScores


def attention_npz(att: Attention) -> bytes:
    """A compressed .npz: `attention` [layer, head, from, to] float32, `tokens`, `key_tokens`, `model`."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        attention=att.weights.astype(np.float32),
        tokens=np.array(att.tokens, dtype=str),
        key_tokens=np.array(att.columns.tokens, dtype=str),
        model=np.array(att.model),
        text=np.array(att.text),
    )
    return buffer.getvalue()


def attention_csv(att: Attention, layers: list[int] | None = None) -> str:
    """Long format, one row per weight: layer, head, from_index, from, to_index, to, weight."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["layer", "head", "from_index", "from", "to_index", "to", "weight"])
    keys = att.columns.tokens
    for layer in layers if layers is not None else range(att.num_layers):
        for head in range(att.num_heads):
            matrix = att.weights[layer, head]
            for q, source in enumerate(att.tokens):
                for k, target in enumerate(keys):
                    writer.writerow([layer, head, q, source, k, target, f"{matrix[q, k]:.6g}"])
    return out.getvalue()


def scores_csv(rs: RelationScores) -> str:
    """A relation's head ranking for one sentence."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["relation", "layer", "head", "direction", "score", "accuracy", "baseline_offset", "baseline_score"]
    )
    for h in rs.heads:
        writer.writerow(
            [
                rs.relation,
                h.layer,
                h.head,
                h.direction,
                f"{h.score:.6g}",
                f"{h.accuracy:.6g}",
                rs.baseline.offset if rs.baseline else "",
                f"{rs.baseline.score:.6g}" if rs.baseline else "",
            ]
        )
    return out.getvalue()


def scores_json(rs: RelationScores) -> str:
    """A relation's head ranking for one sentence, as JSON."""
    return json.dumps(
        {
            "relation": rs.relation,
            "arcs": [{"dependent": d, "head": h, "relation": r} for d, h, r in rs.arcs],
            "heads": [
                {"layer": h.layer, "head": h.head, "direction": h.direction, "score": h.score, "accuracy": h.accuracy}
                for h in rs.heads
            ],
            "baseline": {"offset": rs.baseline.offset, "score": rs.baseline.score} if rs.baseline else None,
        },
        indent=1,
    )


def atlas_csv(atlas: Atlas) -> str:
    """Every head's accuracy per relation and direction, with the relation's baseline."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["relation", "count", "layer", "head", "direction", "accuracy", "baseline_offset", "baseline_accuracy"]
    )
    for relation, ra in atlas.relations.items():
        acc = ra.accuracy
        for layer in range(acc.shape[0]):
            for head in range(acc.shape[1]):
                for d, direction in enumerate(DIRECTIONS):
                    writer.writerow(
                        [
                            relation,
                            ra.count,
                            layer,
                            head,
                            direction,
                            f"{acc[layer, head, d]:.6g}",
                            ra.baseline_offset,
                            f"{ra.baseline_accuracy:.6g}",
                        ]
                    )
    return out.getvalue()


def atlas_json(atlas: Atlas) -> str:
    """The atlas as the CLI prints it."""
    return json.dumps(to_json(atlas), indent=1)


def json_text(document: dict) -> str:
    """A document as JSON text, numpy arrays as nested lists (the CLI's output and the pages' downloads)."""
    import orjson

    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY).decode()
