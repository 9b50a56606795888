"""The head atlas (Clark et al. 2019, section 4) and the corpora it reads."""

from __future__ import annotations

import numpy as np
import pytest

from headscope import atlas, corpus, syntax
from headscope.attention import Attention, Axis
from headscope.policy import Policy
from headscope.syntax import Parse, ParseError

U = 1 / 6  # rows of special tokens do not matter; fill them evenly


def _att(text, tokens, offsets, rows) -> Attention:
    special = tuple(t in ("[CLS]", "[SEP]") for t in tokens)
    weights = np.array(rows, dtype=np.float32)[None, None]  # 1 layer, 1 head
    axis = Axis(tuple(tokens), text, tuple(offsets), special)
    return Attention(model="hand", rows=axis, columns=axis, weights=weights)


def hand_corpus():
    """Three sentences whose predictions were worked out by hand (see the comments)."""
    s1 = _att(
        "a b c",
        ["[CLS]", "a", "b", "c", "[SEP]"],
        [(0, 0), (0, 1), (2, 3), (4, 5), (0, 0)],
        [
            [0.2, 0.2, 0.2, 0.2, 0.2],
            [0.5, 0.1, 0.3, 0.1, 0],  # a: other words b .3, c .1  -> b  (det a->b: right)
            [0.2, 0.4, 0.1, 0.3, 0],  # b: a .4, c .3               -> a  (det b->a right; dobj b->c wrong)
            [0.6, 0.25, 0.1, 0.05, 0],  # c: a .25, b .1             -> a  (dobj c->b wrong)
            [0.2, 0.2, 0.2, 0.2, 0.2],
        ],
    )
    p1 = Parse("a b c", ("a", "b", "c"), ((0, 1), (2, 3), (4, 5)), (1, -1, 1), ("det", "ROOT", "dobj"))
    s2 = _att(
        "d e",
        ["[CLS]", "d", "e", "[SEP]"],
        [(0, 0), (0, 1), (2, 3), (0, 0)],
        [
            [0.25] * 4,
            [0.5, 0.2, 0.3, 0],  # d -> e (nsubj d->e right)
            [0.9, 0.05, 0.05, 0],  # e -> d (nsubj e->d right)
            [0.25] * 4,
        ],
    )
    p2 = Parse("d e", ("d", "e"), ((0, 1), (2, 3)), (1, -1), ("nsubj", "ROOT"))
    # "ab" is two pieces: FROM ab is the mean of its rows, TO ab the sum of its columns
    s3 = _att(
        "ab c d",
        ["[CLS]", "a", "##b", "c", "d", "[SEP]"],
        [(0, 0), (0, 1), (1, 2), (3, 4), (5, 6), (0, 0)],
        [
            [U] * 6,
            [0.3, 0.1, 0.1, 0.1, 0.4, 0],  # piece a alone would pick d ...
            [0.2, 0.1, 0.1, 0.5, 0.1, 0],  # ... but ab: c (.1+.5)/2=.3 > d (.4+.1)/2=.25 -> c
            [0.2, 0.3, 0.3, 0.1, 0.1, 0],  # c: ab .3+.3=.6, d .1 -> ab
            [0.5, 0.1, 0.1, 0.1, 0.2, 0],  # d: ab .1+.1=.2, c .1 -> ab
            [U] * 6,
        ],
    )
    p3 = Parse("ab c d", ("ab", "c", "d"), ((0, 2), (3, 4), (5, 6)), (1, -1, 0), ("amod", "ROOT", "dobj"))
    return [(s1, p1), (s2, p2), (s3, p3)]


def test_hand_checked_atlas():
    a = atlas.score(hand_corpus(), model="hand", corpus="hand")
    assert (a.sentences, a.words) == (3, 8)
    acc = {r: ra.accuracy[0, 0].tolist() for r, ra in a.relations.items()}
    # [dependent->head, head->dependent], worked out in the comments of hand_corpus
    assert acc == {
        "det": [1.0, 1.0],  # a->b right, b->a right
        "nsubj": [1.0, 1.0],  # d->e, e->d
        "amod": [1.0, 1.0],  # ab->c, c->ab
        "dobj": [0.5, 0.0],  # c->b wrong, d->ab right; b->c wrong, ab->d wrong
        "all": [0.8, 0.6],  # 4 of 5, 3 of 5
    }
    assert {r: ra.count for r, ra in a.relations.items()} == {"det": 1, "nsubj": 1, "amod": 1, "dobj": 2, "all": 5}
    # baselines: dobj offsets -1 and -2 tie -> the nearer, -1; all: +1 three times of five
    assert (a.relations["dobj"].baseline_offset, a.relations["dobj"].baseline_accuracy) == (-1, 0.5)
    assert (a.relations["all"].baseline_offset, a.relations["all"].baseline_accuracy) == (1, 0.6)
    assert a.relations["all"].best() == (0, 0, "dependent->head", 0.8)
    assert a.relations["all"].beats_baseline()
    assert not a.relations["dobj"].beats_baseline()  # 0.5 is not more than 0.5


def test_json_document_and_disk_round_trip(tmp_path):
    a = atlas.score(hand_corpus(), model="hand", corpus="hand")
    doc = atlas.to_json(a)
    assert set(doc) == {"model", "corpus", "sentences", "words", "weighting", "rule", "relations"}
    dobj = doc["relations"]["dobj"]
    assert set(dobj) == {"count", "best", "baseline", "accuracy", "follows", "verdict", "split"}
    assert dobj["follows"] == [] and dobj["verdict"] == "too_few"  # 2 arcs: too few to tell
    assert dobj["accuracy"] == [[0.5]]  # best direction per head
    assert dobj["baseline"] == {"offset": -1, "accuracy": 0.5}
    path = tmp_path / "a.npz"
    atlas.save(a, path)
    assert atlas.to_json(atlas.load(path)) == doc


@pytest.fixture(scope="module")
def bundled_atlas(loaded):
    return atlas.compute(loaded, corpus.shipped(corpus.SIMPLE))


def test_bundled_corpus_size():
    lines = [line for line in corpus.SIMPLE_CORPUS.read_text().splitlines() if line.strip()]
    assert len(lines) >= 300
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("relation", ["nsubj", "det", "dobj", "pobj"])
def test_best_heads_beat_the_positional_baseline(bundled_atlas, relation, capsys):
    ra = bundled_atlas.relations[relation]
    layer, head, direction, accuracy = ra.best()
    with capsys.disabled():
        print(
            f"\n  {relation}: L{layer}H{head} {direction} {accuracy:.3f} vs offset "
            f"{ra.baseline_offset:+d} {ra.baseline_accuracy:.3f} "
            f"(+{accuracy - ra.baseline_accuracy:.3f}, {ra.count} arcs)"
        )
    assert ra.count >= 100
    assert accuracy > ra.baseline_accuracy


def test_corpus_positional_heads(bundled_atlas):
    assert bundled_atlas.positional_heads()[(0, 2)] == "previous token"


def test_atlas_is_deterministic_and_cached(loaded, tmp_path, monkeypatch):
    monkeypatch.setenv("HEADSCOPE_CACHE", str(tmp_path))
    text = "\n".join(corpus.SIMPLE_CORPUS.read_text().splitlines()[:40])  # not a shipped corpus
    first = atlas.cached(loaded, text, lambda: corpus.read_txt(text))
    assert atlas.to_json(first) == atlas.to_json(atlas.compute(loaded, corpus.read_txt(text)))
    files = list(tmp_path.glob("atlas-*.npz"))
    assert len(files) == 1
    again = atlas.cached(loaded, text, lambda: pytest.fail("must come from the disk cache"))
    assert atlas.to_json(again) == atlas.to_json(first)


def test_the_shipped_atlases_are_read_first_and_agree_with_the_engine(loaded, bundled_atlas, tmp_path, monkeypatch):
    """data/atlas/ holds the bundled model's atlas over each shipped corpus under each weighting; a fresh
    server reads it instead of computing (an empty disk cache stays empty). The simple corpus's is checked
    whole against a fresh computation; the gold one in tests/test_gold.py."""
    from headscope import norms

    monkeypatch.setenv("HEADSCOPE_CACHE", str(tmp_path))
    for key, source in corpus.SOURCES.items():
        for weighting in norms.WEIGHTINGS:
            assert (atlas.SHIPPED / atlas.cache_key(loaded.name, source.text(), weighting)).is_file(), (key, weighting)
    shipped = atlas.shipped(loaded, corpus.SIMPLE)
    assert not list(tmp_path.iterdir())
    assert atlas.to_json(shipped) == atlas.to_json(bundled_atlas)
    for r, ra in bundled_atlas.relations.items():
        s = shipped.relations[r]
        assert (s.sentence_index == ra.sentence_index).all() and (s.sentence_correct == ra.sentence_correct).all()


CONLLU = """# sent_id = 1
# text = The cat's toy fell into the box.
1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_
2\tcat\tcat\tNOUN\t_\t_\t4\tnmod:poss\t_\tSpaceAfter=No
3\t's\t's\tPART\t_\t_\t2\tcase\t_\t_
4\ttoy\ttoy\tNOUN\t_\t_\t5\tnsubj\t_\t_
5\tfell\tfall\tVERB\t_\t_\t0\troot\t_\t_
6-7\tinto\t_\t_\t_\t_\t_\t_\t_\t_
6\tin\tin\tADP\t_\t_\t9\tcase\t_\t_
7\tto\tto\tADP\t_\t_\t9\tcase\t_\t_
8\tthe\tthe\tDET\t_\t_\t9\tdet\t_\t_
8.1\tghost\tghost\tNOUN\t_\t_\t_\t_\t5:dep\t_
9\tbox\tbox\tNOUN\t_\t_\t5\tobl\t_\tSpaceAfter=No
10\t.\t.\tPUNCT\t_\t_\t5\tpunct\t_\t_

1\tShe\tshe\tPRON\t_\t_\t2\tnsubj\t_\t_
2\tread\tread\tVERB\t_\t_\t0\troot\t_\t_
3\tit\tit\tPRON\t_\t_\t2\tobj\t_\t_
"""


def test_conllu_skips_ranges_and_empty_nodes_and_maps_relations():
    c = corpus.read_conllu(CONLLU)
    assert c.gold and len(c.parses) == 2
    p = c.parses[0]
    assert p.words == ("The", "cat", "'s", "toy", "fell", "in", "to", "the", "box", ".")
    # the text is what the sentence says: the multi-word token "into" once, not "in to"
    assert p.text == "The cat's toy fell into the box."
    spans = [p.text[a:b] for a, b in p.spans]
    assert spans == ["The", "cat", "'s", "toy", "fell", "in", "to", "the", "box", "."]  # each word its part
    rel = dict(zip(p.words, zip(p.relations, p.heads)))
    assert rel["cat"] == ("poss", 3)  # nmod:poss -> poss
    assert rel["toy"] == ("nsubj", 4)
    assert rel["'s"] == ("case", 1)  # a possessive marker is not a preposition
    # case -> prep/pobj: "in" (the first case word) hangs under the verb, "box" under "in"
    assert (p.relations[5], p.heads[5]) == ("prep", 4)
    assert (p.relations[8], p.heads[8]) == ("pobj", 5)
    assert (p.relations[6], p.heads[6]) == ("case", 8)
    assert c.parses[1].relations == ("nsubj", "ROOT", "dobj")  # obj -> dobj


@pytest.mark.parametrize(
    "text, message",
    [
        ("1\tA\ta\tX\t_\t_\t0\troot\t_\n", "line 1: 9 tab-separated columns"),
        ("1\tA\ta\tX\t_\t_\t0\troot\t_\t_\n3\tB\tb\tX\t_\t_\t1\tdep\t_\t_\n", "line 2: word ID 3 where 2"),
        ("1\tA\ta\tX\t_\t_\t2\tdep\t_\t_\n2\tB\tb\tX\t_\t_\t1\tdep\t_\t_\n", "line 1: the heads form a cycle"),
        ("1\tA\ta\tX\t_\t_\t7\tdep\t_\t_\n", "line 1: HEAD 7 points outside"),
        ("1\tA\ta\tX\t_\t_\tx\tdep\t_\t_\n", "line 1: HEAD 'x' is not a number"),
        ("# only a comment\n\n", "has no sentences"),
        ("\u00b2\tA\ta\tX\t_\t_\t0\troot\t_\t_\n", "line 1: word ID '\u00b2' is not a number"),
        ("1-x\tAB\t_\t_\t_\t_\t_\t_\t_\t_\n", "line 1: '1-x' is not a word range"),
        (
            "# text = a\u2028b\n1\tA\ta\tX\t_\t_\t0\troot\t_\t_\n2\tB\tb\tX\t_\t_\t9\tdep\t_\t_\n",
            "line 3: HEAD 9 points outside",
        ),  # U+2028 inside a line does not shift the count
    ],
)
def test_broken_conllu_names_the_line(text, message):
    """Each malformed input gets a ParseError naming its line, never another exception."""
    with pytest.raises(ParseError, match=message):
        corpus.read_conllu(text)


def test_uploads_refuse_binary_wrong_encoding_and_oversize():
    with pytest.raises(ParseError, match="binary"):
        corpus.read_upload(b"\x89PNG\r\n\x1a\n\x00\x00", "x.txt")
    with pytest.raises(ParseError, match="line 2: not UTF-8"):
        corpus.read_upload("fine\ncaf\u00e9\n".encode("latin-1"), "x.txt")
    with pytest.raises(ParseError, match="line 2: not UTF-8"):  # a byte-order mark does not shift it
        corpus.read_upload(b"\xef\xbb\xbfa\n\xff\n", "x.txt")
    with pytest.raises(ParseError, match="limit is 0.0 MB"):
        corpus.read_upload(b"x" * 100, "x.txt", policy=Policy(max_upload_bytes=10))
    with pytest.raises(ParseError, match="no sentences"):
        corpus.read_upload(b"\n \n", "x.txt")


def test_sentences_with_no_aligned_word_are_skipped(loaded):
    c = corpus.read_txt("The dog barked.\n\u200b\n", "zw.txt")
    a = atlas.compute(loaded, c)
    assert a.sentences == 1


def test_txt_upload_is_parsed_by_spacy():
    c = corpus.read_upload(b"The dog barked.\n\nA cat slept.\n", "mine.txt")
    assert not c.gold
    assert [p.words for p in c.parses] == [("The", "dog", "barked", "."), ("A", "cat", "slept", ".")]
    assert syntax.ALL not in c.parses[0].relations
