"""What each command prints: its JSON document (DEVELOPERS.md, the CLI contract) and its text for a person."""

from __future__ import annotations

import numpy as np

from headscope import answer, atlas, export, knockout, models, qkv, roles, syntax, verdict
from headscope.attention import Attention
from headscope.panels import head_name
from headscope.syntax import SyntaxScores
from headscope.wording import dropped_note, plural


def attention_json(att: Attention) -> dict:
    """The `attention` command's JSON document (DEVELOPERS.md, the CLI contract); cross-attention adds `key_tokens`."""
    doc = {
        "model": att.model,
        "tokens": list(att.tokens),
        "num_layers": att.num_layers,
        "num_heads": att.num_heads,
        "attention": att.weights,
    }
    if not att.square:
        doc["key_tokens"] = list(att.columns.tokens)
    return doc


def attention_text(att: Attention) -> str:
    """A human summary: for every head, where each token looks most."""
    lines = [f"model: {att.model}", f"tokens ({att.num_tokens}): {' '.join(att.tokens)}"]
    if att.dropped:
        lines.append(f"note: the text was truncated; {dropped_note(att.dropped)}")
    if att.weighting == "norms":
        lines.append("weighted by norms: alpha_ij * ||f_h(x_j)|| (Kobayashi et al. 2020), rows not renormalised")
    lines.append(f"{att.num_layers} layers x {att.num_heads} heads; each token -> the token it attends to most")
    for layer in range(att.num_layers):
        for head in range(att.num_heads):
            best = att.weights[layer, head].argmax(axis=-1)
            pairs = " ".join(f"{att.tokens[q]}->{att.tokens[k]}" for q, k in enumerate(best))
            lines.append(f"{head_name(layer, head):>7}  {pairs}")
    return "\n".join(lines)


POSITIONAL_NAMES = {"previous token": "previous", "same token": "same", "next token": "next"}
"""roles' positional labels as the CLI's `positional` values."""


def syntax_json(scores: SyntaxScores, model: str, corpus_atlas: atlas.Atlas) -> dict:
    """The `syntax` command's JSON document (DEVELOPERS.md, the CLI contract): per relation this sentence's
    heads, the corpus verdict (`follows` per head and direction) and the evidence arc by arc."""
    p = scores.words.parse
    positional = corpus_atlas.positional_heads()
    relations = {}
    for relation, rs in scores.relations.items():
        if not rs.arcs:
            continue
        ra = corpus_atlas.relations.get(relation)
        v = ra.verdict if ra is not None else None
        relations[relation] = {
            "heads": [
                {
                    "layer": h.layer,
                    "head": h.head,
                    "direction": h.direction,
                    "score": h.score,
                    "follows": corpus_atlas.follows(relation, h.layer, h.head, h.direction),
                    "positional": POSITIONAL_NAMES.get(positional.get((h.layer, h.head), "")),
                }
                for h in rs.heads
            ],
            "baseline": {"offset": rs.baseline.offset, "score": rs.baseline.score},
            "verdict": v.verdict if v is not None else verdict.TOO_FEW,
            "follows": [h.as_json() for h in v.follows] if v is not None else [],
            "evidence": [e.as_json() for e in answer.arc_evidence(scores, relation, v.follows if v else ())],
        }
    return {
        "model": model,
        "corpus": corpus_atlas.corpus,
        "words": list(p.words),
        "arcs": [
            {"dependent": d, "head": h, "relation": r} for d, (h, r) in enumerate(zip(p.heads, p.relations)) if h >= 0
        ],
        "relations": relations,
    }


def syntax_text(scores: SyntaxScores, model: str, corpus_atlas: atlas.Atlas) -> str:
    """A human summary: the parse, then per relation the corpus verdict and what its heads do on each arc here."""
    p = scores.words.parse
    lines = [
        f"model: {model}; verdicts over {corpus_atlas.corpus}",
        "words: " + " ".join(f"{i}:{w}" for i, w in enumerate(p.words)),
    ]
    lines += [f"  {p.words[d]} -{r}-> {p.words[h]}" for d, (h, r) in enumerate(zip(p.heads, p.relations)) if h >= 0]
    for relation, rs in scores.relations.items():
        if not rs.arcs:
            continue
        ra = corpus_atlas.relations.get(relation)
        said = verdict_line(ra.verdict) if ra else f"{verdict.VERDICT_WORDS[verdict.TOO_FEW]}: the corpus has none"
        best = ", ".join(f"{head_name(h.layer, h.head)} {h.direction} {h.score:.2f}" for h in rs.heads[:3])
        lines.append(f"{syntax.relation_label(relation)}: over the corpus, {said}")
        lines.append(
            f"  in this sentence ({plural(len(rs.arcs), 'arc')}): {best}; baseline offset "
            f"{rs.baseline.offset:+d} {rs.baseline.score:.2f}"
        )
        for e in answer.arc_evidence(scores, relation, ra.verdict.follows if ra else ()):
            lines.append(f"  {p.words[e.dependent]} -> {p.words[e.head]}: " + _evidence_words(e, p.words))
    lines.append(verdict.RULE)
    return "\n".join(lines)


def _evidence_words(e: answer.ArcEvidence, words: tuple[str, ...]) -> str:
    """One arc's evidence in a line: each corpus head's top word and weights, then who finds it here."""
    parts = [
        f"{head_name(h.layer, h.head)} {'finds it' if h.found else 'misses it'} (top word {words[h.top_word]!r}, "
        f"weight {h.weight:.2f}, {h.weight_without_special:.2f} without special tokens)"
        for h in e.corpus_heads
    ]
    finders = ", ".join(f"{head_name(layer, head)} {syntax.DIRECTION_SHORT[d]}" for layer, head, d in e.found_by[:6])
    more = f" and {len(e.found_by) - 6} more" if len(e.found_by) > 6 else ""
    parts.append(f"found here by {finders}{more}" if finders else "no head finds it here")
    return "; ".join(parts)


def verdict_line(v: verdict.RelationVerdict) -> str:
    """The corpus verdict of one relation in words."""
    if v.verdict == verdict.FOLLOWS:
        return (
            "followed by "
            + ", ".join(
                f"{head_name(h.layer, h.head)} {h.direction} ({h.accuracy:.2f}, +{h.margin:.2f} "
                f"[{h.margin_low:.2f}, {h.margin_high:.2f}])"
                for h in v.follows
            )
            + f" over offset {v.baseline_offset:+d} ({v.baseline_accuracy:.2f})"
        )
    if v.verdict == verdict.POSITIONAL:
        return (
            f"positional in this model: offset {v.baseline_offset:+d} finds {v.baseline_accuracy:.2f} "
            "of the arcs and no head beats it clearly"
        )
    if v.verdict == verdict.TOO_FEW:
        return f"{verdict.VERDICT_WORDS[v.verdict]} ({v.count} of at least {verdict.MIN_ARCS})"
    return "no head follows it"


def roles_json(att: Attention, loaded: models.LoadedModel) -> dict:
    """The `roles` command's JSON: every head's statistics and role for the text."""
    stats = roles.head_stats(att)
    syntactic = atlas.shipped(loaded).syntactic_relations()
    labels = roles.labels(stats, frozenset(syntactic))
    values = stats.as_dict()
    heads = []
    for layer in range(att.num_layers):
        for head in range(att.num_heads):
            row = {"layer": layer, "head": head}
            row.update({name: float(v[layer, head]) for name, v in values.items()})
            row["role"] = str(labels[layer, head])
            row["syntactic_relations"] = syntactic.get((layer, head), [])
            heads.append(row)
    return {"model": att.model, "tokens": list(att.tokens), "thresholds": roles.THRESHOLDS, "heads": heads}


def roles_text(doc: dict) -> str:
    """A human table of the roles document."""
    lines = [
        f"model: {doc['model']}",
        f"tokens: {' '.join(doc['tokens'])}",
        f"{'head':>7} {'role':<24}{'entropy':>8}{'special':>8}{'punct':>7}{'prev':>6}{'same':>6}{'next':>6}{'dist':>6}{'conf':>6}",
    ]
    for h in doc["heads"]:
        lines.append(
            f"{head_name(h['layer'], h['head']):>7} {h['role']:<24}{h['entropy']:>8.2f}{h['special']:>8.2f}"
            f"{h['punctuation']:>7.2f}{h['previous']:>6.2f}{h['same']:>6.2f}{h['next']:>6.2f}"
            f"{h['distance']:>6.1f}{h['confidence']:>6.2f}"
        )
    return "\n".join(lines)


def head_text(parts: qkv.HeadParts) -> str:
    """A human summary of one head taken apart."""
    lines = [
        f"{head_name(parts.layer, parts.head)}: d_model={parts.d_model}, d_k={parts.d_k}, "
        f"scores divided by {parts.scale:.3f}",
        f"recomputed weights vs the model's own: max |difference| = {parts.max_abs_diff:.2e}",
        "each token -> the token it attends to most (weight):",
    ]
    for q, token in enumerate(parts.tokens):
        k = int(parts.weights[q].argmax())
        lines.append(f"  {token} -> {parts.tokens[k]} ({parts.weights[q, k]:.3f})")
    return "\n".join(lines)


def atlas_text(doc: dict) -> str:
    """A human summary of an atlas: per relation the verdict, the best head against the baseline, and the
    adjacent and distant arcs apart."""
    lines = [
        f"model: {doc['model']}; corpus: {doc['corpus']} ({plural(doc['sentences'], 'sentence')}, "
        f"{plural(doc['words'], 'word')})",
        f"{'relation':<12}{'arcs':>6}  {'verdict':<11}{'best head':<24}{'accuracy':>9}  {'baseline':>14}  follows",
    ]
    for relation, r in doc["relations"].items():
        best, base = r["best"], r["baseline"]
        head = f"{head_name(best['layer'], best['head'])} {best['direction']}"
        follows = ", ".join(f"{head_name(h['layer'], h['head'])} {h['direction']}" for h in r["follows"]) or "-"
        lines.append(
            f"{relation:<12}{r['count']:>6}  {r['verdict']:<11}{head:<24}{best['accuracy']:>9.3f}  "
            f"{base['accuracy']:>8.3f} ({base['offset']:+d})  {follows}"
        )
        lines += [f"  {split:<10}{split_text(s)}" for split, s in r["split"].items()]
    lines.append(doc["rule"])
    return "\n".join(lines)


def split_text(s: dict) -> str:
    """One split of a relation in a line: its arcs, the best offset on them, the best heads."""
    if not s["arcs"]:
        return "no arcs"
    heads = ", ".join(f"{head_name(h['layer'], h['head'])} {h['accuracy']:.3f}" for h in s["heads"][:3])
    return f"{s['arcs']:>6} arcs; offset {s['offset']:+d} {s['offset_accuracy']:.3f}; best heads {heads}"


def dump_json(document: dict) -> str:
    """JSON with numpy arrays written as nested lists."""
    return export.json_text(document)


def tally_text(doc: dict) -> str:
    """A human summary of a class's tally: per relation the guesses, most first, and the heads that follow."""
    lines = [f"class {doc['class']}: {plural(len(doc['relations']), 'relation')} guessed"]
    for relation, r in doc["relations"].items():
        guesses = ", ".join(f"{head} {n}" for head, n in r["guesses"].items())
        lines.append(
            f"{relation}: {plural(r['total'], 'guess', 'guesses')} ({guesses}); follow it: {', '.join(r['follows']) or 'none'}"
        )
    return "\n".join(lines)


def knockout_text(k: knockout.Knockout) -> str:
    """A human summary of a knockout: the output's change, the arcs, the heads whose attention changed most."""
    names = ", ".join(head_name(layer, head) for layer, head in k.heads)
    lines = [
        f"model: {k.intact.model}",
        f"tokens: {' '.join(k.intact.tokens)}",
        f"switched off: {names} ({knockout.ABLATION_WORDS[k.ablation]})",
    ]
    if k.embedding_cosine is not None:
        lines.append(
            f"sentence embedding ({'+'.join(k.pooling)} pooling): cosine with the intact one {k.embedding_cosine:.4f}"
        )
    for p in k.predictions or ():
        where = "next word" if k.task == knockout.NEXT else f"{k.intact.tokens[p.position]} at token {p.position}"
        words = lambda ws: ", ".join(f"{w.word} {w.probability:.2f}" for w in ws)  # noqa: E731
        lines.append(f"{where}: intact {words(p.intact)}; switched off {words(p.knocked_out)}")
    if k.task == knockout.MASKED and not k.predictions:
        lines.append("no [MASK] in the text: put one where a word should be predicted")
    change = ", ".join(f"{tok} {c:.3f}" for tok, c in zip(k.intact.tokens, k.token_change))
    lines.append(f"each token's change (1 - cosine of its last hidden state): {change}")
    for a in k.arcs:
        layer, head = a.largest
        lines.append(
            f"{a.relation} {a.source} -> {a.target} ({a.direction}): largest change at "
            f"{head_name(layer, head)}, {a.intact[layer, head]:.3f} -> {a.knocked_out[layer, head]:.3f}"
        )
    diff = k.largest_change()
    top = np.argsort(diff, axis=None)[::-1][:5]
    lines.append(
        "heads whose attention changed most (max |difference|): "
        + ", ".join(f"{head_name(*divmod(int(i), diff.shape[1]))} {diff.flat[i]:.3f}" for i in top)
    )
    return "\n".join(lines)


def importance_text(imp: knockout.Importance, gradient: str) -> str:
    """A human summary of head importance: the grid and the most important heads."""
    lines = [
        f"model: {imp.model}",
        f"tokens: {' '.join(imp.tokens)}",
        f"effect of switching each head off on its own ({imp.ablation}): {imp.measure}",
    ]
    heads = imp.effect.shape[1]
    lines.append("layer " + "".join(f"{'H' + str(h):>8}" for h in range(heads)))
    lines += [f"{'L' + str(layer):<6}" + "".join(f"{v:>8.4f}" for v in row) for layer, row in enumerate(imp.effect)]
    top = np.argsort(imp.effect, axis=None)[::-1][:5]
    lines.append(
        "most important: " + ", ".join(f"{head_name(*divmod(int(i), heads))} {imp.effect.flat[i]:.4f}" for i in top)
    )
    if imp.gradient is not None:
        g = np.argsort(imp.gradient, axis=None)[::-1][:5]
        lines.append(
            f"gradient score, {gradient}: "
            + ", ".join(f"{head_name(*divmod(int(i), heads))} {imp.gradient.flat[i]:.4f}" for i in g)
        )
    else:
        lines.append(f"no gradient score: {gradient}")
    return "\n".join(lines)
