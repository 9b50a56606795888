"""Word pieces <-> words by character offsets, and word-level attention (Clark et al. 2019)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from headscope.attention import Attention, Axis


def _is_word_char(ch: str) -> bool:
    """True for letters, digits and the underscore: characters that glue pieces into a word."""
    return ch.isalnum() or ch == "_"


def _first_visible(text: str, start: int, end: int) -> int:
    """Index of the first non-space character in text[start:end], or end if there is none."""
    while start < end and text[start].isspace():
        start += 1
    return start


def word_groups(text: str, offsets, special) -> list[list[int]]:
    """Group token indices into words: pieces that touch with word characters on both sides.

    A special token is a word of its own. A piece joins the word before it when no space
    separates them and both the last character of that word and the first character of
    the piece are letters or digits, so "un ##bel ##ie ##va ##bly" is one word while
    "mat" and "." are two, as in BERT's own pre-tokenizer.
    """
    groups: list[list[int]] = []
    prev_end = -1  # end offset of the previous non-special piece, -1 after a special token
    for i, ((start, end), is_special) in enumerate(zip(offsets, special)):
        if is_special or end <= start:
            groups.append([i])
            prev_end = -1
            continue
        visible = _first_visible(text, start, end)
        if prev_end > 0 and (start < prev_end or visible == end):
            # bytes of one character (byte-level BPE gives them the same offsets), or a
            # piece that is only white space: both belong to the word before
            groups[-1].append(i)
            prev_end = max(prev_end, end)
            continue
        joins = (
            prev_end > 0
            and visible == prev_end
            and visible < len(text)
            and _is_word_char(text[prev_end - 1])
            and _is_word_char(text[visible])
        )
        if joins:
            groups[-1].append(i)
        else:
            groups.append([i])
        prev_end = end
    return groups


def merge_weights(
    weights: np.ndarray, groups: list[list[int]], col_groups: list[list[int]] | None = None
) -> np.ndarray:
    """Word-level attention: TO a word sums over its pieces, FROM a word averages them.

    `col_groups` groups the columns when they are other tokens than the rows (cross-attention).
    """
    to_words = _sum_groups(weights, groups if col_groups is None else col_groups, axis=-1)  # [..., query, word]
    sizes = np.array([len(g) for g in groups], dtype=np.float32)[:, None]
    return (_sum_groups(to_words, groups, axis=-2) / sizes).astype(np.float32, copy=False)


def _sum_groups(x: np.ndarray, groups: list[list[int]], axis: int) -> np.ndarray:
    """Sums of x's entries along one axis, one per group of indices (each group non-empty).

    A gather and np.add.reduceat: linear in the array's size (a matrix product with the
    0/1 membership matrix costs as much as a forward pass on a 512-token atlas sentence).
    """
    if not groups:
        shape = list(x.shape)
        shape[axis] = 0
        return np.zeros(shape, dtype=x.dtype)
    index = np.fromiter((i for g in groups for i in g), dtype=np.intp)
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
    return np.add.reduceat(np.take(x, index, axis=axis), starts, axis=axis)


def merge(att: Attention) -> Attention:
    """The same attention with words on both axes; word labels are the text as typed."""
    if att.level == "words":
        return att
    (row_groups, rows), (col_groups, columns) = _words_of(att.rows), _words_of(att.columns)
    return replace(
        att, rows=rows, columns=columns, weights=merge_weights(att.weights, row_groups, col_groups), level="words"
    )


def _words_of(axis: Axis) -> tuple[list[list[int]], Axis]:
    """The groups of pieces that make words, and the axis of those words."""
    tokens, text, offsets, special = axis
    groups = word_groups(text, offsets, special)
    labels, spans, flags = [], [], []
    for members in groups:
        first = members[0]
        if special[first] or offsets[first][1] <= offsets[first][0]:
            labels.append(tokens[first])
            spans.append(offsets[first])
            flags.append(special[first])
            continue
        start = _first_visible(text, offsets[first][0], offsets[first][1])
        end = max(offsets[i][1] for i in members)
        while end > start and text[end - 1].isspace():
            end -= 1
        labels.append(text[start:end])
        spans.append((start, end))
        flags.append(False)
    return groups, Axis(tuple(labels), text, tuple(spans), tuple(flags))
