"""Property-based tests (hypothesis) on arbitrary unicode: alignment, word merge, CoNLL-U reading."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headscope import corpus, syntax, words
from headscope.attention import Axis
from headscope.syntax import ParseError

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40)


@st.composite
def pieces(draw):
    """A text and plausible piece offsets over it (some zero-width, some overlapping), with specials."""
    text = draw(TEXT)
    n = draw(st.integers(0, 12))
    offsets, special = [(0, 0)], [True]
    for _ in range(n):
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(a, len(text)))
        offsets.append((a, b))
        special.append(False)
    offsets.append((0, 0))
    special.append(True)
    return text, offsets, special


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces())
def test_word_groups_partition_every_piece_in_order(case):
    text, offsets, special = case
    groups = words.word_groups(text, offsets, special)
    assert [i for g in groups for i in g] == list(range(len(offsets)))  # each piece once, in order
    assert all(g for g in groups)
    _, (labels, _, spans, flags) = words._words_of(Axis(("t",) * len(offsets), text, tuple(offsets), tuple(special)))
    assert len(labels) == len(groups) == len(spans) == len(flags)


@settings(max_examples=200, deadline=None)
@given(pieces(), st.integers(0, 2**32 - 1))
def test_merge_keeps_rows_stochastic(case, seed):
    text, offsets, special = case
    groups = words.word_groups(text, offsets, special)
    rng = np.random.default_rng(seed)
    w = rng.random((1, 2, len(offsets), len(offsets))).astype(np.float32)
    w /= w.sum(-1, keepdims=True)
    merged = words.merge_weights(w, groups)
    assert merged.shape == (1, 2, len(groups), len(groups))
    np.testing.assert_allclose(merged.sum(-1), 1.0, atol=1e-5)


@settings(max_examples=300, deadline=None)
@given(pieces(), st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=8))
def test_align_gives_each_real_piece_at_most_one_overlapping_word(case, raw_spans):
    text, offsets, special = case
    spans = [(min(a, b), max(a, b)) for a, b in raw_spans]
    groups = syntax.align(offsets, special, spans)
    owned = [i for g in groups for i in g]
    assert len(owned) == len(set(owned))
    for (ws, we), members in zip(spans, groups):
        for i in members:
            assert not special[i] and min(we, offsets[i][1]) > max(ws, offsets[i][0])


CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELL, min_size=1, max_size=11), max_size=8), st.booleans())
def test_conllu_reader_never_raises_anything_but_parse_error(rows, blank_lines):
    text = ("\n\n" if blank_lines else "\n").join("\t".join(r) for r in rows)
    try:
        c = corpus.read_conllu(text)
    except ParseError as exc:
        assert "line" in str(exc) or "no sentences" in str(exc)
        return
    for p in c.parses:
        assert len(p.words) == len(p.heads) == len(p.relations) == len(p.spans)
        assert all(-1 <= h < len(p.words) for h in p.heads)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_uploads_of_arbitrary_bytes_never_crash(data):
    try:
        corpus.read_upload(data, "x.conllu")
    except ParseError:
        pass
