"""The commands: each reads its parsed arguments and returns what it prints (formats.py writes it)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from headscope import atlas, attention, classroom, corpus, knockout, language, models, norms, qkv, syntax, words
from headscope.cli.formats import (
    atlas_text,
    attention_json,
    attention_text,
    dump_json,
    head_text,
    importance_text,
    knockout_text,
    roles_json,
    roles_text,
    syntax_json,
    syntax_text,
    tally_text,
)
from headscope.cli.usage import UsageError
from headscope.policy import Policy

SYNTAX_ADVICE = "give an English sentence (`attention` and `roles` read any text)"
"""What `syntax` says of a text that is not English."""
ARCS_ADVICE = "the heads were switched off all the same; give an English sentence for the arcs"
"""What `knockout` says of a text that is not English."""


def _model(args: argparse.Namespace) -> models.LoadedModel:
    """The model the command names (--model), under the settings' policy."""
    return models.load(args.model, Policy.from_settings())


def _text(args: argparse.Namespace) -> str:
    """The command's text, refused (InputError) when there is nothing in it to analyse."""
    return attention.check_text(args.text)


def _attended(args: argparse.Namespace, loaded: models.LoadedModel) -> attention.Attention:
    """The text's attention as the command asks: its kind (encoder-decoder models) and weighting."""
    try:
        return norms.attend(
            loaded,
            args.text,
            getattr(args, "target", None),
            getattr(args, "kind", "encoder"),
            getattr(args, "weighting", "weights"),
        )
    except norms.NotSplittable as exc:
        raise UsageError(str(exc)) from None


def run_attention(args: argparse.Namespace) -> str:
    """`attention TEXT`: every head's attention, [layer][head][from][to] (or per word with --words)."""
    _text(args)
    att = _attended(args, _model(args))
    if args.words:
        att = words.merge(att)
    return dump_json(attention_json(att)) if args.format == "json" else attention_text(att)


def run_syntax(args: argparse.Namespace) -> str:
    """`syntax TEXT`: which heads follow which relations in the sentence, beside the corpus verdict."""
    _text(args)
    language.require_english(language.identify(args.text), advice=SYNTAX_ADVICE)  # before the model loads
    loaded = _model(args)
    scores = syntax.score_sentence(_attended(args, loaded), syntax.parse(args.text))
    found = corpus_atlas_of(args, loaded)
    if args.format == "json":
        return dump_json(syntax_json(scores, loaded.name, found))
    return syntax_text(scores, loaded.name, found)


def run_roles(args: argparse.Namespace) -> str:
    """`roles TEXT`: per head statistics and a role label."""
    _text(args)
    loaded = _model(args)
    doc = roles_json(_attended(args, loaded), loaded)
    return dump_json(doc) if args.format == "json" else roles_text(doc)


def run_head(args: argparse.Namespace) -> str:
    """`head TEXT --layer L --head H`: one head taken apart (its own forward pass, inside take_apart)."""
    _text(args)
    loaded = _model(args)
    try:
        parts = qkv.take_apart(loaded, args.text, args.layer, args.head)
    except ValueError as exc:  # a head that does not exist, or an architecture it cannot take apart
        raise UsageError(str(exc)) from None
    return dump_json(qkv.to_json(parts)) if args.format == "json" else head_text(parts)


def run_atlas(args: argparse.Namespace) -> str:
    """`atlas`: read the corpus, score every head, print the result."""
    doc = atlas.to_json(corpus_atlas_of(args))
    return dump_json(doc) if args.format == "json" else atlas_text(doc)


def run_knockout(args: argparse.Namespace) -> str:
    """`knockout TEXT --heads ...`: the heads switched off, against the intact run (the parse made beside the load)."""
    _text(args)
    parsed = _parse_beside(args.text)  # while the model loads
    loaded = _model(args)
    try:
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
        return dump_json(knockout.knockout_json(result))
    return knockout_text(result) + (f"\nnote: {note}" if note else "")


def run_importance(args: argparse.Namespace) -> str:
    """`importance TEXT`: every head switched off on its own, its effect on the output."""
    _text(args)
    loaded = _model(args)
    try:
        imp = knockout.importance(loaded, args.text, args.ablation)
    except knockout.NotKnockable as exc:
        raise UsageError(str(exc)) from None
    gradient = knockout.gradient_measure(knockout.task(loaded))
    if args.format == "json":
        return dump_json(knockout.importance_json(imp, gradient))
    return importance_text(imp, gradient)


def run_start_class(args: argparse.Namespace) -> str:
    """`class start`: a new class for the model's shape, its code and the quiz link."""
    store = classroom.open_store(args.db)
    if args.text is not None:
        attention.check_text(args.text)
    loaded = _model(args)
    info = store.start(loaded.name, loaded.num_layers, loaded.num_heads)
    doc = {"class": info.code, "model": info.model, "created": info.created, "expires": info.expires}
    doc["link"] = classroom.quiz_link(info.code, args.relation, args.text)
    if args.format == "json":
        return dump_json(doc)
    return f"class {info.code}, open for 24 hours ({info.model}); the quiz: <the app's address>/{doc['link']}"


def run_tally(args: argparse.Namespace) -> str:
    """`tally CODE`: a class's guesses, with the heads the verdict says follow each relation."""
    tally = classroom.open_store(args.db).tally(args.code)  # an unknown class is refused before the model loads
    loaded = models.load(args.model or tally.info.model, Policy.from_settings())
    found = atlas.shipped(loaded).relations
    follows = {r.relation: found[r.relation].verdict.following_heads() for r in tally.relations if r.relation in found}
    doc = classroom.tally_json(tally, follows)
    return dump_json(doc) if args.format == "json" else tally_text(doc)


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


def corpus_atlas_of(args: argparse.Namespace, loaded: models.LoadedModel | None = None) -> atlas.Atlas:
    """The atlas over --corpus (a shipped corpus, from data/atlas/ or the disk cache, or a file of any size),
    limited to --limit sentences; a computation shows its progress on stderr."""
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be a positive number of sentences")
    loaded = loaded or models.load(args.model, Policy.from_settings())
    weighting = getattr(args, "weighting", "weights")
    key = corpus.DEFAULT if args.corpus is None else args.corpus
    shown = sys.stderr.isatty() if args.progress is None else args.progress
    scoring = progress_bar("Scoring every head") if shown else None
    if key in corpus.SOURCES and args.limit is None:
        return atlas.shipped(loaded, key, weighting, progress=scoring)
    source = corpus.shipped(key) if key in corpus.SOURCES else read_corpus(args.corpus, shown)
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


def read_corpus(name: str, progress: bool) -> corpus.Corpus:
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
    return corpus.read_upload(data, path.name, policy=UNCAPPED, progress=progress_bar("Parsing") if progress else None)


def progress_bar(label: str, stream=None, every: float = 0.2):
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
