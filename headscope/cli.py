"""Command line: `python -m headscope attention TEXT [--words] [--model M] [--format json|text]`."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

from headscope import attention, models, words
from headscope.attention import Attention, InputError
from headscope.figures import head_name
from headscope.models import ModelError


class UsageError(Exception):
    """Bad command-line arguments; the message says what to do."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports bad usage as one line instead of exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see `python -m headscope {self.prog.split()[-1]} --help`)")


def _common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes."""
    parser.add_argument("--model", default=None, help=f"hub id or local folder (default: {models.BUNDLED_ID}, bundled)")
    parser.add_argument("--format", choices=("json", "text"), default="text", help="output format (default: text)")


def build_parser() -> argparse.ArgumentParser:
    """The `headscope` argument parser with one sub-command per analysis."""
    parser = _Parser(prog="headscope", description="See what the attention heads of a transformer do.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("attention", help="attention of every head, [layer][head][from][to]")
    p.add_argument("text", help="the text to analyse")
    p.add_argument("--words", action="store_true", help="merge word pieces into words (Clark et al. 2019)")
    _common(p)
    return parser


def attention_json(att: Attention) -> dict:
    """The `attention` command's JSON document (see DESIGN.md)."""
    return {
        "model": att.model,
        "tokens": list(att.tokens),
        "num_layers": att.num_layers,
        "num_heads": att.num_heads,
        "attention": att.weights,
    }


def attention_text(att: Attention) -> str:
    """A human summary: for every head, where each token looks most."""
    lines = [f"model: {att.model}", f"tokens ({att.num_tokens}): {' '.join(att.tokens)}"]
    if att.dropped:
        lines.append(f"note: the text was truncated; {att.dropped} tokens were dropped")
    lines.append(f"{att.num_layers} layers x {att.num_heads} heads; each token -> the token it attends to most")
    for layer in range(att.num_layers):
        for head in range(att.num_heads):
            best = att.weights[layer, head].argmax(axis=-1)
            pairs = " ".join(f"{att.tokens[q]}->{att.tokens[k]}" for q, k in enumerate(best))
            lines.append(f"{head_name(layer, head):>7}  {pairs}")
    return "\n".join(lines)


def _dump_json(document: dict) -> str:
    """JSON with numpy arrays written as nested lists."""
    import orjson

    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def run_command(args: argparse.Namespace) -> str:
    """Run one parsed command and return what it prints."""
    attention.check_text(args.text)
    loaded = models.load(args.model)
    att = attention.run(loaded, args.text)
    if args.words:
        att = words.merge(att)
    if args.format == "json":
        return _dump_json(attention_json(att))
    return attention_text(att)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: print the result on stdout, or one line on stderr and exit status 2."""
    try:
        args = build_parser().parse_args(argv)
        output = run_command(args)
    except (UsageError, InputError, ModelError) as exc:
        print(f"headscope: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(output + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
