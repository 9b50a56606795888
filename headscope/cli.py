"""Command line: `python -m headscope attention|syntax|atlas|roles|head|knockout|importance|tally|class ... [--model M] [--format json|text]`."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from headscope import (
    answer,
    atlas,
    attention,
    classroom,
    corpus,
    export,
    knockout,
    language,
    models,
    norms,
    qkv,
    roles,
    syntax,
    verdict,
    words,
)
from headscope.attention import Attention, InputError
from headscope.errors import ModelError, out_of_memory
from headscope.panels import head_name
from headscope.policy import Policy
from headscope.syntax import ParseError, SyntaxScores
from headscope.wording import dropped_note, plural


class UsageError(Exception):
    """Bad command-line arguments; the message says what to do."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports bad usage as one line instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        command = " ".join(self.prog.split()[1:])  # "headscope syntax" -> "syntax"; "headscope" -> ""
        raise UsageError(f"{message} (see `python -m headscope {command + ' ' if command else ''}--help`)")


def _whole(text: str) -> int:
    """A number argument written with the digits 0 to 9, as links take them (int() also reads full-width
    digits, "1_0" and " 1", and raises past 4,300 digits)."""
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise argparse.ArgumentTypeError(
            f"{text[:20]!r} is not a whole number written with the digits 0 to 9 (at most nine)"
        )
    return int(text)


def _common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes."""
    parser.add_argument("--model", default=None, help=f"hub id or local folder (default: {models.BUNDLED_ID}, bundled)")
    parser.add_argument("--format", choices=("json", "text"), default="text", help="output format (default: text)")


def _weighting(parser: argparse.ArgumentParser) -> None:
    """The --weighting option of `attention`, `syntax` and `atlas`."""
    parser.add_argument(
        "--weighting",
        choices=norms.WEIGHTINGS,
        default="weights",
        help="weights: the attention weights alpha_ij (default); norms: alpha_ij * ||f_h(x_j)||, "
        "weighted by the norm of what the head moves (Kobayashi et al. 2020), not renormalised",
    )


def _corpus_option(parser: argparse.ArgumentParser, what: str) -> None:
    """--corpus, --limit and --progress, for the commands that read a corpus."""
    shipped = ", ".join(f"{k} ({s.name})" for k, s in corpus.SOURCES.items())
    parser.add_argument(
        "--corpus",
        default=None,
        help=f"{what}: a shipped corpus, {shipped}, or FILE.txt (one sentence a line, parsed) or FILE.conllu "
        f"(gold parses); any size (default: {corpus.DEFAULT})",
    )
    parser.add_argument("--limit", type=_whole, default=None, help="use only the first N sentences")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr while a corpus is parsed and scored (default: when stderr is a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The `headscope` argument parser with one sub-command per analysis."""
    parser = _Parser(prog="headscope", description="See what the attention heads of a transformer do.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("attention", help="attention of every head, [layer][head][from][to]")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--words", action="store_true", help="merge word pieces into words (Clark et al. 2019)")
    p.add_argument("--target", default=None, help="encoder-decoder models: the decoder's text (default: TEXT)")
    p.add_argument(
        "--kind",
        choices=tuple(attention.KINDS),
        default="encoder",
        help="encoder-decoder models: encoder, decoder or cross attention (default: encoder)",
    )
    _weighting(p)
    _common(p)
    p = sub.add_parser("syntax", help="which heads follow which dependency relations in TEXT")
    p.add_argument("text", help="the sentence to parse and score")
    _corpus_option(p, "the corpus whose verdict says which heads follow a relation")
    _weighting(p)
    _common(p)
    p = sub.add_parser("roles", help="per head statistics and a role label for TEXT")
    p.add_argument("text", help="the text to analyse")
    _common(p)
    p = sub.add_parser("head", help="one head taken apart: Q, K, V, scores, weights, output")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--layer", type=_whole, required=True, help="layer, from 0")
    p.add_argument("--head", type=_whole, required=True, help="head, from 0")
    _common(p)
    p = sub.add_parser("atlas", help="per head, how often it finds each relation's heads over a corpus")
    _corpus_option(p, "the corpus to score")
    _weighting(p)
    _common(p)
    p = sub.add_parser("knockout", help="switch heads off and compare attention and output with the intact run")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--heads", required=True, help="heads to switch off, e.g. L2H8,L3H1 (numbered from 0)")
    _ablation(p)
    _common(p)
    p = sub.add_parser("importance", help="every head switched off on its own: its effect on the output")
    p.add_argument("text", help="the text to analyse")
    _ablation(p)
    _common(p)
    p = sub.add_parser(
        "tally", help="a class's guesses per relation and head (Guess the head), and the heads that follow"
    )
    p.add_argument("code", help="the class code, e.g. K7M2QX")
    _class_options(p, "the model whose heads follow (default: the class's own)")
    p = sub.add_parser("class", help="start a class for Guess the head: a code and the quiz link")
    start = p.add_subparsers(dest="action", metavar="start", required=True, parser_class=_Parser).add_parser(
        "start", help="a new class code and the quiz link"
    )
    start.add_argument(
        "--relation", choices=syntax.RELATIONS, default="nsubj", help="the relation of the link (default: nsubj)"
    )
    start.add_argument("--text", default=None, help="the sentence the link carries (default: the page's own)")
    _class_options(start, f"the model whose heads the class guesses (default: {models.BUNDLED_ID}, bundled)")
    return parser


def _class_options(parser: argparse.ArgumentParser, model_help: str) -> None:
    """--db, --model and --format for `tally` and `class start`."""
    parser.add_argument(
        "--db",
        default=None,
        help=f"the class store's URL (default: ${classroom.DB_ENV}, else SQLite in the cache folder)",
    )
    parser.add_argument("--model", default=None, help=model_help)
    parser.add_argument("--format", choices=("json", "text"), default="text", help="output format (default: text)")


def _ablation(parser: argparse.ArgumentParser) -> None:
    """The --ablation option of `knockout` and `importance`."""
    parser.add_argument(
        "--ablation",
        choices=knockout.ABLATIONS,
        default="zero",
        help="what a switched-off head outputs: zero (default), or mean: its mean output over this text's tokens",
    )


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


def _dump_json(document: dict) -> str:
    """JSON with numpy arrays written as nested lists."""
    return export.json_text(document)


def run_command(args: argparse.Namespace) -> str:
    """Run one parsed command and return what it prints."""
    if args.command == "atlas":
        return _run_atlas(args)
    if args.command in ("tally", "class"):
        return _run_class(args)
    attention.check_text(args.text)
    if args.command == "syntax":  # before the model loads: the parser reads English only
        language.require_english(language.identify(args.text), advice=SYNTAX_ADVICE)
    parsed = _parse_beside(args.text) if args.command == "knockout" else None  # while the model loads
    loaded = models.load(args.model, Policy.from_settings())
    if args.command in ("knockout", "importance"):
        return _run_knockout(args, loaded, parsed)
    if args.command == "head":  # its own forward pass, inside take_apart
        try:
            parts = qkv.take_apart(loaded, args.text, args.layer, args.head)
        except ValueError as exc:  # a head that does not exist, or an architecture it cannot take apart
            raise UsageError(str(exc)) from None
        if args.format == "json":
            return _dump_json(qkv.to_json(parts))
        return head_text(parts)
    try:
        att = norms.attend(
            loaded,
            args.text,
            getattr(args, "target", None),
            getattr(args, "kind", "encoder"),
            getattr(args, "weighting", "weights"),
        )
    except norms.NotSplittable as exc:
        raise UsageError(str(exc)) from None
    if args.command == "roles":
        doc = roles_json(att, loaded)
        return _dump_json(doc) if args.format == "json" else roles_text(doc)
    if args.command == "syntax":
        scores = syntax.score_sentence(att, syntax.parse(args.text))
        corpus_atlas = _corpus_atlas(args, loaded)
        if args.format == "json":
            return _dump_json(syntax_json(scores, loaded.name, corpus_atlas))
        return syntax_text(scores, loaded.name, corpus_atlas)
    if args.words:
        att = words.merge(att)
    if args.format == "json":
        return _dump_json(attention_json(att))
    return attention_text(att)


def _run_class(args: argparse.Namespace) -> str:
    """`class start` (a new class for the model's shape) and `tally CODE` (with the heads the verdict says follow)."""
    store = classroom.open_store(args.db)
    if args.command == "class":
        if args.text is not None:
            attention.check_text(args.text)
        loaded = models.load(args.model, Policy.from_settings())
        info = store.start(loaded.name, loaded.num_layers, loaded.num_heads)
        doc = {"class": info.code, "model": info.model, "created": info.created, "expires": info.expires}
        doc["link"] = classroom.quiz_link(info.code, args.relation, args.text)
        if args.format == "json":
            return _dump_json(doc)
        return f"class {info.code}, open for 24 hours ({info.model}); the quiz: <the app's address>/{doc['link']}"
    tally = store.tally(args.code)  # an unknown class is refused before the model loads
    loaded = models.load(args.model or tally.info.model, Policy.from_settings())
    found = atlas.shipped(loaded).relations
    follows = {r.relation: found[r.relation].verdict.following_heads() for r in tally.relations if r.relation in found}
    doc = classroom.tally_json(tally, follows)
    return _dump_json(doc) if args.format == "json" else tally_text(doc)


def tally_text(doc: dict) -> str:
    """A human summary of a class's tally: per relation the guesses, most first, and the heads that follow."""
    lines = [f"class {doc['class']}: {plural(len(doc['relations']), 'relation')} guessed"]
    for relation, r in doc["relations"].items():
        guesses = ", ".join(f"{head} {n}" for head, n in r["guesses"].items())
        lines.append(
            f"{relation}: {plural(r['total'], 'guess', 'guesses')} ({guesses}); follow it: {', '.join(r['follows']) or 'none'}"
        )
    return "\n".join(lines)


def _language_and_parse(text: str) -> tuple[language.Language, syntax.Parse | None]:
    """The text's language, and its parse if it is English (the arcs of `knockout`)."""
    found = language.identify(text)
    return found, syntax.parse(text) if found.english else None  # not English: run it without the arcs


def _parse_beside(text: str):
    """`_language_and_parse(text)` started in a second process (a future), or None to do it here later.

    Loading the parser and parsing a long text take about as long as importing torch and loading
    the model: on two cores both go at once. Only a process that has not imported torch forks
    (forking a process with torch's threads running is not safe), and only when it can.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "torch" in sys.modules or "fork" not in multiprocessing.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return None
    try:
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        future = pool.submit(_language_and_parse, text)
    except OSError:  # no process to spare: parsed here, after the knockout
        return None
    pool.shutdown(wait=False)  # the worker ends once it has answered
    return future


def _parsed(future, text: str) -> tuple[language.Language, syntax.Parse | None]:
    """The answer of `_parse_beside`'s process (its errors raised here), or, without one, `_language_and_parse`."""
    from concurrent.futures.process import BrokenProcessPool

    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # the second process died (memory?): parsed here instead
            pass
    return _language_and_parse(text)


def _run_knockout(args: argparse.Namespace, loaded: models.LoadedModel, parsed=None) -> str:
    """The `knockout` and `importance` commands (`parsed`: `_parse_beside`'s future, if one was started)."""
    try:
        if args.command == "importance":
            imp = knockout.importance(loaded, args.text, args.ablation)
            gradient = knockout.gradient_measure(knockout.task(loaded))
            if args.format == "json":
                return _dump_json(knockout.importance_json(imp, gradient))
            return importance_text(imp, gradient)
        heads = knockout.parse_heads(args.heads, loaded.num_layers, loaded.num_heads)
        result = knockout.knockout(loaded, args.text, heads, args.ablation)
        found, parse = _parsed(parsed, args.text)
        if parse is not None:
            result = replace(result, arcs=knockout.arc_changes(result.intact, result.knocked_out, parse))
    except knockout.NotKnockable as exc:
        raise UsageError(str(exc)) from None
    note = None if found.english else f"no arcs: {language.NotEnglish(found, advice=ARCS_ADVICE)}"
    if args.format == "json":
        if note:  # stdout stays one JSON document; its "arcs" is empty
            print(f"headscope: note: {note}", file=sys.stderr)
        return _dump_json(knockout.knockout_json(result))
    return knockout_text(result) + (f"\nnote: {note}" if note else "")


SYNTAX_ADVICE = "give an English sentence (`attention` and `roles` read any text)"
"""What `syntax` says of a text that is not English."""
ARCS_ADVICE = "the heads were switched off all the same; give an English sentence for the arcs"
"""What `knockout` says of a text that is not English."""


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


def _run_atlas(args: argparse.Namespace) -> str:
    """The `atlas` command: read the corpus, score every head, print the result."""
    doc = atlas.to_json(_corpus_atlas(args))
    return _dump_json(doc) if args.format == "json" else atlas_text(doc)


def _corpus_atlas(args: argparse.Namespace, loaded: models.LoadedModel | None = None) -> atlas.Atlas:
    """The atlas over --corpus (a shipped corpus, from data/atlas/ or the disk cache, or a file of any size),
    limited to --limit sentences; a computation shows its progress on stderr."""
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be a positive number of sentences")
    loaded = loaded or models.load(args.model, Policy.from_settings())
    weighting = getattr(args, "weighting", "weights")
    key = corpus.DEFAULT if args.corpus is None else args.corpus
    shown = sys.stderr.isatty() if args.progress is None else args.progress
    scoring = _progress("Scoring every head") if shown else None
    if key in corpus.SOURCES and args.limit is None:
        return atlas.shipped(loaded, key, weighting, progress=scoring)
    source = corpus.shipped(key) if key in corpus.SOURCES else _read_corpus(args.corpus, shown)
    if args.limit is not None:
        source = replace(source, parses=source.parses[: args.limit])
    return atlas.compute(loaded, source, weighting=weighting, progress=scoring)


UNCAPPED = Policy(
    max_upload_bytes=sys.maxsize,
    max_upload_sentences=sys.maxsize,
    max_sentence_chars=sys.maxsize,
    max_upload_tokens=sys.maxsize,
)
"""The CLI reads a corpus of any size: the caps on an upload are a server's, not the command line's."""


def _read_corpus(name: str, progress: bool) -> corpus.Corpus:
    """A corpus file named on the command line, read in full (with `progress`, its parse's on stderr)."""
    path = Path(name)
    if path.is_dir():
        raise UsageError(f"{name!r} is a directory; give one corpus file (FILE.txt or FILE.conllu)")
    if path.exists() and not path.is_file():
        raise UsageError(
            f"{name!r} is not a regular file (a pipe or a device); save the corpus to a file and give that"
        )
    if not path.is_file():
        shipped = ", ".join(corpus.SOURCES)
        raise UsageError(f"there is no corpus file {name!r} (the shipped corpora are named {shipped})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name!r}: {exc.strerror or exc}") from None
    return corpus.read_upload(data, path.name, policy=UNCAPPED, progress=_progress("Parsing") if progress else None)


def _progress(label: str, stream=None, every: float = 0.2):
    """A progress bar on stderr for `progress(done, total)` callbacks: redrawn at most every `every` seconds,
    ended with a new line once done."""
    last = [0.0]

    def show(done: int, total: int) -> None:
        out = stream or sys.stderr
        now = time.monotonic()
        if done < total and now - last[0] < every:
            return
        last[0] = now
        filled = round(30 * done / max(1, total))
        out.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} sentences")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: print the result on stdout, or one line on stderr and exit status 2."""
    try:
        args = build_parser().parse_args(argv)
        Policy.from_settings()  # a HEADSCOPE_* setting that is not usable is refused before any work
        output = run_command(args)
    except (UsageError, InputError, ModelError, ParseError, classroom.ClassError) as exc:
        print(f"headscope: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - only out-of-memory is turned into a one-line error
        if not out_of_memory(exc):
            raise
    else:
        sys.stdout.write(output + "\n")
        return 0
    # outside the except block, so the failed computation's memory is already released
    print(
        "headscope: error: not enough memory for this input; try a shorter text, a smaller corpus "
        "(--limit) or a smaller model",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
