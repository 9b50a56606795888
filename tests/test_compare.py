"""headscope.compare on the real bundled model: the words two texts share, and per-head statistics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from headscope import attention, compare, roles, syntax
from headscope.words import merge

CAT = "The black cat sat on the mat."
CATS = "The cats that the dog chased sat."


@pytest.fixture(scope="module")
def pair(loaded):
    return attention.run(loaded, CAT), attention.run(loaded, CATS)


def test_the_words_both_share_are_matched_in_order(pair):
    a, b = pair
    # by hand: [CLS] the black cat sat on the mat . [SEP]  /  [CLS] the cats that the dog chased sat . [SEP]
    assert a.tokens[4] == "sat" and b.tokens[7] == "sat" and a.tokens[6] == b.tokens[4] == "the"
    shared = compare.shared_attention(a, b)
    assert shared.rows.a == (0, 1, 4, 6, 8, 9)
    assert shared.rows.b == (0, 1, 7, 4, 8, 9)  # the first "the" with the first, the second with the second
    assert shared.rows.labels_a == ("[CLS]", "The\u00b71", "sat", "the\u00b76", ".", "[SEP]")
    assert shared.rows.labels_b == ("[CLS]", "The\u00b71", "sat", "the\u00b74", ".", "[SEP]")
    assert shared.columns == shared.rows and shared.count == 6 and shared.any_word
    assert shared.a.weights.shape == shared.b.weights.shape == (6, 12, 6, 6)
    # one word a token: each cell is the model's own weight between those two tokens
    assert shared.a.weights[2, 3, 2, 3] == a.weights[2, 3, 4, 6]  # sat -> the (A's tokens 4 and 6)
    assert shared.b.weights[2, 3, 2, 3] == b.weights[2, 3, 7, 4]  # sat -> the (B's tokens 7 and 4)
    np.testing.assert_array_equal(shared.a.weights, a.weights[:, :, [0, 1, 4, 6, 8, 9]][:, :, :, [0, 1, 4, 6, 8, 9]])
    # what goes to words only one text has is left out: rows add up to less than 1
    sums = shared.a.weights.sum(-1)
    assert (sums <= 1 + 1e-5).all() and sums.mean() < 0.95


def test_a_word_of_several_pieces_is_one_word(loaded):
    a = attention.run(loaded, "Tokenization is unbelievably straightforward.")
    b = attention.run(loaded, "It is unbelievably simple, unbelievably.")
    start = a.text.index("unbelievably")
    pieces_a = [i for i, (s, e) in enumerate(a.offsets) if not a.special[i] and start <= s and e <= start + 12]
    assert "".join(a.tokens[i].removeprefix("##") for i in pieces_a) == "unbelievably"  # un ##bel ##ie ##va ##bly
    shared = compare.shared_attention(a, b)
    words_a = [label.split("\u00b7")[0] for label in shared.rows.labels_a]
    assert words_a == ["[CLS]", "is", "unbelievably", ".", "[SEP]"]
    assert shared.rows.labels_b[2] == "unbelievably\u00b73"  # B's first of two, at its token 3
    is_a = a.tokens.index("is")
    # by hand (Clark et al.): from a word, the mean over its pieces; to a word, the sum over its pieces
    from_word = a.weights[1, 5][pieces_a].mean(0)  # [key]
    np.testing.assert_allclose(shared.a.weights[1, 5, 2, 1], from_word[is_a], rtol=1e-5)
    np.testing.assert_allclose(shared.a.weights[1, 5, 1, 2], a.weights[1, 5, is_a, pieces_a].sum(), rtol=1e-5)


def test_a_word_one_text_has_more_often_is_matched_once(loaded):
    a = attention.run(loaded, "the cat saw the dog and the bird")
    b = attention.run(loaded, "the bird saw the cat")
    shared = compare.shared_attention(a, b)
    assert [t.split("\u00b7")[0] for t in shared.rows.labels_a] == [
        "[CLS]",
        "the",
        "cat",
        "saw",
        "the",
        "bird",
        "[SEP]",
    ]
    assert shared.rows.a == (0, 1, 2, 3, 4, 8, 9) and shared.rows.b == (0, 1, 5, 3, 4, 2, 6)


def test_nothing_shared(loaded):
    shared = compare.shared_attention(attention.run(loaded, "Dogs bark."), attention.run(loaded, "Cats sleep!"))
    assert shared.count == 2 and not shared.any_word  # [CLS] and [SEP] only
    hidden = compare.shared_attention(
        attention.without_special(attention.run(loaded, "Dogs bark.")),
        attention.without_special(attention.run(loaded, "Cats sleep!")),
    )
    assert hidden.count == 0 and not hidden.any_word


def test_a_decoders_future_stays_hidden_in_either_text(pair):
    a, b = (replace(x, causal=True) for x in pair)
    shared = compare.shared_attention(a, b)
    # A's shared words are in A's order: above the diagonal is A's future
    assert np.isnan(shared.a.weights[0, 0, 2, 3]) and not np.isnan(shared.a.weights[0, 0, 3, 2])
    # in B, "sat" (token 7) comes after "the" (token 4): sat -> the is seen, the -> sat is the future
    assert shared.b.weights[0, 0, 2, 3] == b.weights[0, 0, 7, 4] and np.isnan(shared.b.weights[0, 0, 3, 2])


def test_the_words_as_shown_whole_words(pair):
    a, b = (merge(x) for x in pair)
    shared = compare.shared_attention(a, b)
    assert shared.rows.a == (0, 1, 4, 6, 8, 9)  # the same positions: here one word is one token


# ---- statistics ---------------------------------------------------------------------------


def test_statistics_are_the_roles_numbers(pair):
    a, _ = pair
    stats = roles.head_stats(a)
    for field in compare.STATISTICS:
        np.testing.assert_allclose(compare.head_statistic(field, stats, None), getattr(stats, field), rtol=1e-6)
    # by hand: the share on the previous token, a mean over the 8 words' rows (tokens 1..8)
    by_hand = np.mean([a.weights[2, 4, q, q - 1] for q in range(1, 9)])
    np.testing.assert_allclose(compare.head_statistic("previous", stats, None)[2, 4], by_hand, rtol=1e-5)
    special = np.mean([a.weights[0, 7, q, 0] + a.weights[0, 7, q, 9] for q in range(1, 9)])
    np.testing.assert_allclose(compare.head_statistic("special", stats, None)[0, 7], special, rtol=1e-5)


def test_relation_accuracy_by_hand(loaded, pair):
    a, _ = pair
    parse = syntax.parse(CAT)
    scores = syntax.score_sentence(a, parse)
    assert parse.arcs("nsubj") == [(2, 3, "nsubj")]  # cat -> sat
    got = compare.head_statistic("arcs:nsubj", roles.head_stats(a), scores)
    words = a.weights[:, :, 1:9, 1:9]  # one token a word: the words' attention, [CLS] and [SEP] left out
    for layer in range(6):
        for head in range(12):
            w = words[layer, head].copy()
            np.fill_diagonal(w, -np.inf)  # a word is never its own head
            found = max(w[2].argmax() == 3, w[3].argmax() == 2)  # cat finds sat, or sat finds cat
            assert got[layer, head] == float(found), (layer, head)
    assert 0 < np.nanmean(got) < 1
    assert np.isnan(compare.head_statistic("arcs:dobj", roles.head_stats(a), scores)).all()  # no dobj arc here


def test_statistic_grids(pair):
    a, b = pair
    sa, sb = roles.head_stats(a), roles.head_stats(b)
    sides, diff = compare.statistic_grids("special", (sa, None), (sb, None))
    assert [p["name"] for p in sides["panels"]] == ["A", "B"] and diff["panels"][0]["name"] == "A \u2212 B"
    assert all(g["clickable"] == "cell" and g["rows"] == 6 and g["cols"] == 12 for g in (sides, diff))
    assert sides["scale"]["kind"] == "sequential" and diff["scale"]["kind"] == "diverging"
    x, y = float(sa.special[3, 1]), float(sb.special[3, 1])
    hover = sides["panels"][1]["hover"][3 * 12 + 1]
    assert hover.startswith("L3H1") and f"A {x:.3f} \u00b7 B {y:.3f}" in hover and f"{x - y:+.3f}" in hover
    assert diff["scale"]["hi"] == pytest.approx(float(np.abs(sa.special - sb.special).max()))
    # two models whose grids differ: A's grid and B's, no difference
    fewer = roles.head_stats(replace(b, weights=b.weights[:, :8]))
    grid_a, grid_b = compare.statistic_grids("special", (sa, None), (fewer, None))
    assert (grid_a["cols"], grid_b["cols"]) == (12, 8) and grid_a["scale"] == grid_b["scale"]
    assert "A \u2212 B" not in grid_b["panels"][0]["hover"][0]


def test_every_choice_has_a_name_and_a_unit():
    names = [compare.statistic_name(c) for c in compare.CHOICES]
    assert len(set(names)) == len(names) and "entropy" not in compare.CHOICES  # nats grow with length
    assert compare.statistic_name("arcs:nsubj").startswith("nsubj") and compare.statistic_unit("distance") == "tokens"


def test_two_models_with_other_layers_and_heads(loaded, tmp_path):
    from headscope import models
    from tests import tiny

    text = "The cat sat on the mat."
    small = models.load(str(tiny.make("gpt2", tmp_path / "gpt2")))  # 2 layers x 4 heads, a decoder
    a, b = attention.run(loaded, text), attention.run(small, text)
    shared = compare.shared_attention(a, b)
    # one text: every word is shared (the same tokenizer here; a special token only where both have it)
    assert [t.split("\u00b7")[0] for t in shared.rows.labels_a if t not in ("[CLS]", "[SEP]")] == [
        "The", "cat", "sat", "on", "the", "mat", ".",
    ]  # fmt: skip
    assert shared.a.weights.shape[:2] == (6, 12) and shared.b.weights.shape[:2] == (2, 4)
    assert not shared.b.causal and np.isnan(shared.b.weights[0, 0, 1, 2])  # B is a decoder: its future stays hidden
    grid_a, grid_b = compare.statistic_grids("previous", (roles.head_stats(a), None), (roles.head_stats(b), None))
    assert (grid_a["rows"], grid_a["cols"], grid_b["rows"], grid_b["cols"]) == (6, 12, 2, 4)
