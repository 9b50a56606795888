"""Command line: `python -m headscope attention|syntax|atlas|roles|head|knockout|importance|tally|class ... [--model M] [--format json|text]`.

This module builds the parser and runs a command: each sub-command names the function that runs
it (`set_defaults(run=...)`, in commands.py), and what it prints is written by formats.py.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from headscope import attention, classroom, corpus, knockout, models, norms, syntax
from headscope.attention import InputError
from headscope.cli import commands
from headscope.cli.formats import attention_text
from headscope.cli.usage import Parser, UsageError, whole_number
from headscope.errors import ModelError, out_of_memory
from headscope.policy import Policy
from headscope.syntax import ParseError

__all__ = ["UsageError", "attention_text", "build_parser", "main", "run_command"]


def _common(parser: argparse.ArgumentParser, model_help: str | None = None) -> None:
    """Options every command takes: --model (what its default is, `model_help`) and --format."""
    parser.add_argument(
        "--model", default=None, help=model_help or f"hub id or local folder (default: {models.BUNDLED_ID}, bundled)"
    )
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
    parser.add_argument("--limit", type=whole_number, default=None, help="use only the first N sentences")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr while a corpus is parsed and scored (default: when stderr is a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The `headscope` argument parser with one sub-command per analysis."""
    parser = Parser(prog="headscope", description="See what the attention heads of a transformer do.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
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
    p.set_defaults(run=commands.run_attention)
    p = sub.add_parser("syntax", help="which heads follow which dependency relations in TEXT")
    p.add_argument("text", help="the sentence to parse and score")
    _corpus_option(p, "the corpus whose verdict says which heads follow a relation")
    _weighting(p)
    _common(p)
    p.set_defaults(run=commands.run_syntax)
    p = sub.add_parser("roles", help="per head statistics and a role label for TEXT")
    p.add_argument("text", help="the text to analyse")
    _common(p)
    p.set_defaults(run=commands.run_roles)
    p = sub.add_parser("head", help="one head taken apart: Q, K, V, scores, weights, output")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--layer", type=whole_number, required=True, help="layer, from 0")
    p.add_argument("--head", type=whole_number, required=True, help="head, from 0")
    _common(p)
    p.set_defaults(run=commands.run_head)
    p = sub.add_parser("atlas", help="per head, how often it finds each relation's heads over a corpus")
    _corpus_option(p, "the corpus to score")
    _weighting(p)
    _common(p)
    p.set_defaults(run=commands.run_atlas)
    p = sub.add_parser("knockout", help="switch heads off and compare attention and output with the intact run")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--heads", required=True, help="heads to switch off, e.g. L2H8,L3H1 (numbered from 0)")
    _ablation(p)
    _common(p)
    p.set_defaults(run=commands.run_knockout)
    p = sub.add_parser("importance", help="every head switched off on its own: its effect on the output")
    p.add_argument("text", help="the text to analyse")
    _ablation(p)
    _common(p)
    p.set_defaults(run=commands.run_importance)
    p = sub.add_parser(
        "tally", help="a class's guesses per relation and head (Guess the head), and the heads that follow"
    )
    p.add_argument("code", help="the class code, e.g. K7M2QX")
    _class_options(p, "the model whose heads follow (default: the class's own)")
    p.set_defaults(run=commands.run_tally)
    p = sub.add_parser("class", help="start a class for Guess the head: a code and the quiz link")
    start = p.add_subparsers(dest="action", metavar="start", required=True, parser_class=Parser).add_parser(
        "start", help="a new class code and the quiz link"
    )
    start.add_argument(
        "--relation", choices=syntax.RELATIONS, default="nsubj", help="the relation of the link (default: nsubj)"
    )
    start.add_argument("--text", default=None, help="the sentence the link carries (default: the page's own)")
    _class_options(start, f"the model whose heads the class guesses (default: {models.BUNDLED_ID}, bundled)")
    start.set_defaults(run=commands.run_start_class)
    return parser


def _class_options(parser: argparse.ArgumentParser, model_help: str) -> None:
    """--db, --model and --format for `tally` and `class start`."""
    parser.add_argument(
        "--db",
        default=None,
        help=f"the class store's URL (default: ${classroom.DB_ENV}, else SQLite in the cache folder)",
    )
    _common(parser, model_help)


def _ablation(parser: argparse.ArgumentParser) -> None:
    """The --ablation option of `knockout` and `importance`."""
    parser.add_argument(
        "--ablation",
        choices=knockout.ABLATIONS,
        default="zero",
        help="what a switched-off head outputs: zero (default), or mean: its mean output over this text's tokens",
    )


def run_command(args: argparse.Namespace) -> str:
    """Run one parsed command and return what it prints."""
    return args.run(args)


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
