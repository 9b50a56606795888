"""Word pieces -> words (Clark et al. 2019 merge), by character offsets."""

from __future__ import annotations

import numpy as np
import pytest

from headscope import attention, words
from headscope.attention import Axis
from tests.conftest import SPLIT_SENTENCE


def test_split_sentence_pieces(split):
    assert split.tokens == (
        "[CLS]",
        "token",
        "##ization",
        "is",
        "un",
        "##bel",
        "##ie",
        "##va",
        "##bly",
        "straightforward",
        ".",
        "[SEP]",
    )


def test_word_groups_of_split_sentence(split):
    groups = words.word_groups(split.text, split.offsets, split.special)
    assert groups == [[0], [1, 2], [3], [4, 5, 6, 7, 8], [9], [10], [11]]


def test_merge_labels_are_the_text_as_typed(split):
    merged = words.merge(split)
    assert merged.tokens == ("[CLS]", "Tokenization", "is", "unbelievably", "straightforward", ".", "[SEP]")
    assert merged.level == "words"
    assert merged.special == (True, False, False, False, False, False, True)
    assert [SPLIT_SENTENCE[a:b] for a, b in merged.offsets[1:-1]] == list(merged.tokens[1:-1])


def test_merge_sums_to_and_averages_from(split):
    merged = words.merge(split)
    a = split.weights
    unbeliev = [4, 5, 6, 7, 8]
    # TO a word: the sum over its pieces ("is" -> "unbelievably")
    np.testing.assert_allclose(merged.weights[:, :, 2, 3], a[:, :, 3, unbeliev].sum(-1), atol=1e-6)
    # FROM a word: the mean over its pieces ("unbelievably" -> "is")
    np.testing.assert_allclose(merged.weights[:, :, 3, 2], a[:, :, unbeliev, 3].mean(-1), atol=1e-6)
    # both at once ("unbelievably" -> "Tokenization")
    both = a[:, :, unbeliev][:, :, :, [1, 2]].sum(-1).mean(-1)
    np.testing.assert_allclose(merged.weights[:, :, 3, 1], both, atol=1e-6)
    np.testing.assert_allclose(merged.weights.sum(-1), 1.0, atol=1e-5)


def test_merge_weights_hand_example():
    # 3 pieces, pieces 1 and 2 form one word
    a = np.array([[0.2, 0.3, 0.5], [0.6, 0.0, 0.4], [0.1, 0.8, 0.1]], dtype=np.float32)
    merged = words.merge_weights(a, [[0], [1, 2]])
    expected = np.array([[0.2, 0.8], [(0.6 + 0.1) / 2, (0.4 + 0.9) / 2]])
    np.testing.assert_allclose(merged, expected, atol=1e-7)


def test_merge_is_idempotent(split):
    merged = words.merge(split)
    assert words.merge(merged) is merged


def test_merge_then_hide_special(split):
    plain = attention.without_special(words.merge(split))
    assert plain.tokens == ("Tokenization", "is", "unbelievably", "straightforward", ".")
    np.testing.assert_allclose(plain.weights.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The cat's hat.", ["The", "cat", "'", "s", "hat", "."]),
        ("state-of-the-art  models", ["state", "-", "of", "-", "the", "-", "art", "models"]),
        ("Pi is 3.14!", ["Pi", "is", "3", ".", "14", "!"]),
        ("Café naïve", ["Café", "naïve"]),
        ("“Quoted” words", ["“", "Quoted", "”", "words"]),
    ],
)
def test_words_follow_the_text(loaded, text, expected):
    merged = words.merge(attention.run(loaded, text))
    assert list(merged.tokens[1:-1]) == expected
    np.testing.assert_allclose(merged.weights.sum(-1), 1.0, atol=1e-5)


def test_byte_level_pieces_and_spaces_join_their_word():
    text = "The \u732b sat  down"
    # a byte-level tokenizer: the 3 bytes of one character share its offsets; a lone space piece
    offsets = [(0, 3), (3, 5), (4, 5), (4, 5), (5, 9), (9, 10), (10, 15)]
    special = [False] * 7
    groups = words.word_groups(text, offsets, special)
    assert groups == [[0], [1, 2, 3], [4, 5], [6]]
    _, (labels, _, _, _) = words._words_of(Axis(("t",) * 7, text, tuple(offsets), tuple(special)))
    assert labels == ("The", "\u732b", "sat", "down")
