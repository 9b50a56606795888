"""Counted nouns and the few sentences the command line and the pages say alike."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 token', '2 tokens', '1,000 sentences' ('nouns': an irregular plural)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def dropped_note(dropped: int) -> str:
    """'the last 1 token was dropped', 'the last 3 tokens were dropped'."""
    return f"the last {plural(dropped, 'token')} {'was' if dropped == 1 else 'were'} dropped"
