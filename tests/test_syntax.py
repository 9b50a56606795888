"""Parses, piece <-> word alignment by character offsets, per-sentence relation scores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from headscope import attention, roles, syntax
from headscope.syntax import Parse

HARD_TEXTS = [
    "I don't think the cat's toy is here.",
    "A well-known, state-of-the-art model.",
    "It costs $1,000.50 (about 3.5% more).",
    "She said \u201chello\u201d and \u2018left\u2019.",
    "The caf\u00e9 in S\u00e3o Paulo serves cr\u00e8me br\u00fbl\u00e9e.",
    "We love pizza \U0001f355 and sushi \U0001f363!",
    "Too    many   spaces\there.",
]


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_alignment_by_offsets_on_hard_text(loaded, text):
    att = attention.run(loaded, text)
    p = syntax.parse(text)
    assert all(w.strip() for w in p.words)  # spaCy's whitespace tokens are left out
    groups = syntax.align(att.offsets, att.special, p.spans)
    owned = sorted(i for g in groups for i in g)
    assert owned == [i for i, s in enumerate(att.special) if not s]  # every real piece has one word
    for (ws, we), members in zip(p.spans, groups):
        assert members, f"word {text[ws:we]!r} got no piece"
        for i in members:
            ps, pe = att.offsets[i]
            assert min(we, pe) > max(ws, ps)  # the piece overlaps its word's characters
    wa = syntax.word_attention(att, p)
    assert wa.weights.shape == (6, 12, len(p.words), len(p.words))
    special_share = att.weights[:, :, :, list(np.flatnonzero(att.special))].sum(-1)
    # row sums: 1 minus what the word's pieces give to special tokens (averaged over pieces)
    for w, members in enumerate(groups):
        np.testing.assert_allclose(wa.weights[:, :, w].sum(-1), 1 - special_share[:, :, members].mean(-1), atol=1e-5)


def test_contraction_pieces_go_to_spacy_words(loaded):
    text = "I don't know."
    att = attention.run(loaded, text)
    p = syntax.parse(text)
    assert p.words == ("I", "do", "n't", "know", ".")
    groups = syntax.align(att.offsets, att.special, p.spans)
    assert [[att.tokens[i] for i in g] for g in groups] == [["i"], ["don"], ["'", "t"], ["know"], ["."]]


def test_words_without_pieces_are_left_out(loaded):
    text = "The cat sat."
    att = attention.run(loaded, text)
    p = syntax.parse(text)
    # a made-up word that no piece covers, between "cat" and "sat"
    ghost = Parse(
        text=text,
        words=p.words[:2] + ("ghost",) + p.words[2:],
        spans=p.spans[:2] + ((7, 7),) + p.spans[2:],
        heads=tuple(h + (h >= 2) if h >= 0 else h for h in p.heads[:2])
        + (3,)
        + tuple(h + (h >= 2) if h >= 0 else h for h in p.heads[2:]),
        relations=p.relations[:2] + ("dep",) + p.relations[2:],
    )
    wa = syntax.word_attention(att, ghost)
    assert wa.dropped_words == ("ghost",)
    assert wa.parse.words == p.words and wa.parse.heads == p.heads


def test_arcs_leave_out_punctuation_and_root():
    p = Parse(
        "a b c.",
        ("a", "b", "c", "."),
        ((0, 1), (2, 3), (4, 5), (5, 6)),
        (1, -1, 1, 1),
        ("det", "ROOT", "dobj", "punct"),
    )
    assert p.arcs() == [(0, 1, "det"), (2, 1, "dobj")]
    assert p.arcs("dobj") == [(2, 1, "dobj")]


def test_best_offset():
    arcs = [(0, 1, "x"), (2, 3, "x"), (5, 3, "x")]  # offsets +1, +1, -2
    assert syntax.best_offset(arcs) == syntax.Baseline(offset=1, score=2 / 3)
    assert syntax.best_offset([(0, 9, "x")]).score == 0.0  # too far for any fixed offset
    assert syntax.best_offset([]) is None


def test_relation_scores_on_a_hand_example(cat):
    # 3 words, 1 layer, 2 heads. Arc: word 0 -det-> word 1.
    p = Parse("a b c", ("a", "b", "c"), ((0, 1), (2, 3), (4, 5)), (1, -1, 1), ("det", "ROOT", "dobj"))
    w = np.zeros((1, 2, 3, 3), dtype=np.float32)
    w[0, 0] = [[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]]  # head 0: a->b 0.7
    w[0, 1] = [[0.6, 0.1, 0.3], [0.2, 0.6, 0.2], [0.1, 0.8, 0.1]]  # head 1: a->b 0.1, b->a 0.2
    wa = syntax.WordAttention(parse=p, weights=w)
    rs = syntax.relation_scores(wa, "det")
    top = rs.heads[0]
    assert (top.layer, top.head, top.direction) == (0, 0, "dependent->head")
    assert top.score == pytest.approx(0.7) and top.accuracy == 1.0
    by_key = {(h.head, h.direction): h for h in rs.heads}
    assert by_key[(0, "head->dependent")].score == pytest.approx(0.5)
    assert by_key[(0, "head->dependent")].accuracy == 1.0  # b's most-attended other word is a
    assert by_key[(1, "dependent->head")].accuracy == 0.0  # a's most-attended other word is c (0.3)
    assert rs.baseline == syntax.Baseline(offset=1, score=1.0)


def test_score_sentence_subject_far_from_verb(loaded):
    text = "The keys to the old cabinet are on the table."
    scores = syntax.score_sentence(attention.run(loaded, text), syntax.parse(text))
    nsubj = scores.relations["nsubj"]
    assert nsubj.arcs == [(1, 6, "nsubj")]  # keys -> are, five words apart
    assert nsubj.baseline.score == 0.0  # no fixed offset within 3 words finds it
    assert len(nsubj.heads) == 2 * 6 * 12
    assert nsubj.heads[0].score > 0.5
    assert [h.score for h in nsubj.heads] == sorted((h.score for h in nsubj.heads), reverse=True)
    assert scores.relations["amod"].arcs == [(4, 5, "amod")]


def test_positional_heads(cat):
    found = roles.positional_heads(cat)
    assert found[(0, 2)] == "previous token"  # L0H2 is a clean previous-token head
    shares = roles.offset_shares(cat)
    assert shares[-1][0, 2] > 0.9
    flat = replace(cat, weights=np.full_like(cat.weights, 1 / cat.num_tokens))
    assert roles.positional_heads(flat) == {}
