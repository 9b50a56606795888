"""CoNLL-U multi-word tokens keep each of their words (issue 14, item 6: UD English-EWT nsubj).

UD writes "I'm" as one token and two words, I + 'm. When both words got the token's whole
span, the first word took every piece, the second was dropped, and the words after it
moved one place left: "I 'm happy" was scored as "I happy", so the subject looked one
word from its verb instead of two (EWT test: nsubj baseline 0.389 instead of 0.344).
"""

from __future__ import annotations

import pytest

from headscope import atlas, attention, corpus, syntax

ROW = "{}\t{}\t_\t_\t_\t_\t{}\t{}\t_\t{}"


def _token(ids: str, form: str, misc: str = "_") -> str:
    """A multi-word token's range line."""
    return f"{ids}\t{form}\t_\t_\t_\t_\t_\t_\t_\t{misc}"


# Hand-made, three sentences with contractions; the subject sits 2, 2 and 3 words from its head.
CONTRACTIONS = "\n".join(
    [
        "# text = I'm happy.",
        _token("1-2", "I'm"),
        ROW.format(1, "I", 3, "nsubj", "_"),
        ROW.format(2, "'m", 3, "cop", "_"),
        ROW.format(3, "happy", 0, "root", "SpaceAfter=No"),
        ROW.format(4, ".", 3, "punct", "_"),
        "",
        "# text = It's late.",
        _token("1-2", "It's"),
        ROW.format(1, "It", 3, "nsubj", "_"),
        ROW.format(2, "'s", 3, "cop", "_"),
        ROW.format(3, "late", 0, "root", "SpaceAfter=No"),
        ROW.format(4, ".", 3, "punct", "_"),
        "",
        "# text = We don't know.",
        ROW.format(1, "We", 4, "nsubj", "_"),
        _token("2-3", "don't"),
        ROW.format(2, "do", 4, "aux", "_"),
        ROW.format(3, "n't", 4, "advmod", "_"),
        ROW.format(4, "know", 0, "root", "SpaceAfter=No"),
        ROW.format(5, ".", 4, "punct", "_"),
        "",
    ]
)


def test_words_of_a_multiword_token_get_their_own_part_of_it():
    c = corpus.read_conllu(CONTRACTIONS, "contractions.conllu")
    assert [p.text for p in c.parses] == ["I'm happy.", "It's late.", "We don't know."]
    for p in c.parses:
        assert [p.text[a:b] for a, b in p.spans] == list(p.words)


def test_a_token_its_words_do_not_spell_keeps_the_whole_span():
    """Spanish "del" = "de" + "el": no part of "del" is "el", so both words get all of it."""
    text = "\n".join(
        [
            ROW.format(1, "Vengo", 0, "root", "_"),
            _token("2-3", "del"),
            ROW.format(2, "de", 4, "case", "_"),
            ROW.format(3, "el", 4, "det", "_"),
            ROW.format(4, "mercado", 1, "obl", "_"),
            "",
        ]
    )
    p = corpus.read_conllu(text).parses[0]
    assert p.text == "Vengo del mercado"
    assert [p.text[a:b] for a, b in p.spans] == ["Vengo", "del", "del", "mercado"]


def test_no_word_of_a_contraction_is_dropped_by_the_model(loaded):
    for p in corpus.read_conllu(CONTRACTIONS).parses:
        wa = syntax.word_attention(attention.run(loaded, p.text), p)
        assert wa.dropped_words == ()
        assert wa.parse.words == p.words


def test_atlas_scores_subjects_at_their_distance_in_the_treebank(loaded):
    a = atlas.compute(loaded, corpus.read_conllu(CONTRACTIONS, "contractions.conllu"))
    assert (a.sentences, a.words) == (3, 13)  # every word, "'m", "'s" and "n't" too
    nsubj = a.relations["nsubj"]
    assert nsubj.count == 3
    # I->happy and It->late are 2 words apart, We->know 3: the best fixed offset is +2, not +1
    assert (nsubj.baseline_offset, nsubj.baseline_accuracy) == (2, pytest.approx(2 / 3))
    assert a.relations["aux"].count == 1 and a.relations["advmod"].count == 1
