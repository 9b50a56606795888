"""Verdicts from the gold treebank, position told apart from syntax, and each arc's evidence, each checked
against a computation written here, apart from the engine's own code paths.

- The default atlas is UD English-EWT dev+test (gold): every sentence run through the model one at a time
  and scored by this file's own word merge and arg-max gives the atlas's counts for L2H8 and the offsets.
- On a hand-made CoNLL-U file the adjacent/distant split's counts and accuracies are worked out by hand.
- On the default sentence the evidence is read off the model's raw piece-level attention.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from headscope import answer, atlas, attention, corpus, syntax, verdict
from headscope.syntax import DEPENDENT_TO_HEAD, HEAD_TO_DEPENDENT
from tests.conftest import SENTENCE
from tests.support import headscope


@pytest.fixture(scope="module")
def gold(loaded):
    """The default atlas, as the app and the CLI get it."""
    return atlas.shipped(loaded)


def _word_rows(att: attention.Attention, spans) -> np.ndarray:
    """[layer, head, word, word] by this file's own merge: pieces by character overlap, sum to, mean from."""
    pieces = [[] for _ in spans]
    for i, ((a, b), special) in enumerate(zip(att.offsets, att.special)):
        if special or b <= a:
            continue
        overlaps = [min(e, b) - max(s, a) for s, e in spans]
        best = int(np.argmax(overlaps))
        if overlaps[best] > 0:
            pieces[best].append(i)
    keep = [k for k, p in enumerate(pieces) if p]
    w = att.weights
    to = np.stack([w[..., pieces[k]].sum(-1) for k in keep], axis=-1)  # [L, H, T, words]
    return np.stack([to[:, :, pieces[k], :].mean(2) for k in keep], axis=2), keep


def test_the_default_atlas_is_the_gold_treebank(gold):
    source = corpus.shipped()
    assert corpus.DEFAULT == corpus.GOLD and source.gold and len(source.parses) == 4078
    assert gold.corpus == corpus.SOURCES[corpus.GOLD].name == "UD English-EWT dev+test (gold)"
    assert gold.sentences == sum(len(p.words) >= 2 for p in source.parses) > 3800  # one-word lines score nothing
    nsubj, amod = gold.relations["nsubj"].verdict, gold.relations["amod"].verdict
    first = nsubj.follows[0]
    assert nsubj.verdict == verdict.FOLLOWS and (first.layer, first.head, first.direction) == (2, 8, DEPENDENT_TO_HEAD)
    assert first.accuracy > 0.55 and nsubj.baseline_accuracy < 0.4 and first.margin_low > 0.15
    assert amod.verdict == verdict.FOLLOWS and [(h.layer, h.head) for h in amod.follows] == [(2, 8)]
    assert amod.follows[0].direction == DEPENDENT_TO_HEAD and amod.baseline_offset == 1


def test_the_simple_corpus_stays_a_choice_and_says_amod_is_positional(loaded):
    simple = atlas.shipped(loaded, corpus.SIMPLE)
    assert simple.corpus == "simple sentences (parsed)" and simple.sentences > 300
    assert simple.relations["amod"].verdict.verdict == verdict.POSITIONAL
    assert simple.relations["nsubj"].verdict.follows[0].head == 8


def test_the_gold_counts_agree_with_a_computation_written_here(loaded, gold):
    """Every gold sentence through the model alone, scored here: L2H8's and each offset's hits on nsubj, amod."""
    hits = {r: {"arcs": 0, "l2h8": 0, "offsets": dict.fromkeys(syntax.OFFSETS, 0)} for r in ("nsubj", "amod")}
    for p in corpus.shipped().parses:
        if len(p.words) < 2:
            continue
        att = attention.run(loaded, p.text)
        words, keep = _word_rows(att, p.spans)
        if len(keep) < 2:
            continue
        where = {old: new for new, old in enumerate(keep)}
        row = words[2, 8].copy()
        np.fill_diagonal(row, -np.inf)
        top = row.argmax(-1)
        for d, (g, r) in enumerate(zip(p.heads, p.relations)):
            if r not in hits or g < 0 or d not in where or g not in where:
                continue
            dd, gg = where[d], where[g]
            hits[r]["arcs"] += 1
            hits[r]["l2h8"] += int(top[dd] == gg)
            if gg - dd in hits[r]["offsets"]:
                hits[r]["offsets"][gg - dd] += 1
    for r, h in hits.items():
        ra = gold.relations[r]
        assert ra.count == h["arcs"] > 2000
        assert ra.correct[2, 8, 0] == h["l2h8"]  # dependent->head
        offset = max(syntax.OFFSETS, key=lambda o: (h["offsets"][o], -abs(o), -o))
        assert (ra.baseline_offset, ra.baseline_correct) == (offset, h["offsets"][offset])


ROW = "{}\t{}\t_\t_\t_\t_\t{}\t{}\t_\t_"


def _conllu(*sentences: list[tuple[str, int, str]]) -> str:
    """CoNLL-U text from (form, head, relation) rows, heads counted from 1 (0: the root)."""
    out = []
    for rows in sentences:
        out += [ROW.format(i, form, head, rel) for i, (form, head, rel) in enumerate(rows, 1)] + [""]
    return "\n".join(out)


HAND_MADE = _conllu(
    # "big dogs bark": amod big->dogs adjacent (+1)
    [("big", 2, "amod"), ("dogs", 3, "nsubj"), ("bark", 0, "root")],
    # "old red barns stood": amod old->barns distant (+2), red->barns adjacent (+1)
    [("old", 3, "amod"), ("red", 3, "amod"), ("barns", 4, "nsubj"), ("stood", 0, "root")],
    # "very tall thin trees swayed": amod tall->trees distant (+2), thin->trees adjacent; advmod very->tall
    [("very", 2, "advmod"), ("tall", 4, "amod"), ("thin", 4, "amod"), ("trees", 5, "nsubj"), ("swayed", 0, "root")],
)


def test_the_split_on_a_hand_made_treebank(loaded):
    """5 amod arcs: 3 adjacent (all +1), 2 distant (both +2); heads' hits checked against their own arg-max."""
    c = corpus.read_conllu(HAND_MADE, "hand.conllu")
    a = atlas.compute(loaded, c)
    split = a.relations["amod"].split
    adj, dist = split[atlas.ADJACENT], split[atlas.DISTANT]
    assert (adj.arcs, dist.arcs) == (3, 2) and a.relations["amod"].count == 5
    assert (adj.baseline.offset, adj.baseline.score) == (1, 1.0)
    assert (dist.baseline.offset, dist.baseline.score) == (2, 1.0)
    nsubj = a.relations["nsubj"].split  # dogs->bark, barns->stood, trees->swayed: all adjacent
    assert (nsubj[atlas.ADJACENT].arcs, nsubj[atlas.DISTANT].arcs) == (3, 0)
    assert nsubj[atlas.DISTANT].baseline is None and nsubj[atlas.DISTANT].ranked() == []
    # every head's hits, by this file's arg-max over each sentence
    arcs = {  # sentence -> [(dependent, head, adjacent)]
        0: [(0, 1, True)],
        1: [(0, 2, False), (1, 2, True)],
        2: [(1, 3, False), (2, 3, True)],
    }
    expected = {True: np.zeros((6, 12, 2), int), False: np.zeros((6, 12, 2), int)}
    for i, p in enumerate(c.parses):
        words, _ = _word_rows(attention.run(loaded, p.text), p.spans)
        masked = words.copy()
        n = masked.shape[-1]
        masked[..., np.arange(n), np.arange(n)] = -np.inf
        top = masked.argmax(-1)
        for d, g, near in arcs[i]:
            expected[near][..., 0] += top[:, :, d] == g
            expected[near][..., 1] += top[:, :, g] == d
    assert (adj.correct == expected[True]).all() and (dist.correct == expected[False]).all()
    best = adj.ranked()[0]
    acc = expected[True].max(-1) / 3
    assert best[3] == pytest.approx(acc.max()) and acc[best[0], best[1]] == acc.max()
    doc = atlas.to_json(a)["relations"]["amod"]["split"]
    assert set(doc) == {"adjacent", "distant"}
    assert set(doc["distant"]) == {"arcs", "offset", "offset_accuracy", "heads"}
    assert doc["distant"]["arcs"] == 2 and doc["distant"]["offset"] == 2 and doc["distant"]["offset_accuracy"] == 1.0
    assert set(doc["adjacent"]["heads"][0]) == {"layer", "head", "direction", "accuracy"}
    assert len(doc["adjacent"]["heads"]) == 72
    accs = [h["accuracy"] for h in doc["adjacent"]["heads"]]
    assert accs == sorted(accs, reverse=True)


def test_the_gold_split_tells_amod_near_from_far(gold):
    """EWT: most amod arcs are the next word; on those L2H8 finds almost all, on the far ones far fewer."""
    split = gold.relations["amod"].split
    adj, dist = split[atlas.ADJACENT], split[atlas.DISTANT]
    assert adj.arcs + dist.arcs == gold.relations["amod"].count and adj.arcs > 3 * dist.arcs > 300
    assert adj.correct[2, 8, 0] / adj.arcs > 0.9 > 0.4 > dist.correct[2, 8, 0] / dist.arcs
    assert dist.baseline.offset == 2


def test_the_evidence_on_the_default_sentence(loaded, cat, gold):
    """L2H8 finds black->cat (0.736 of black's attention) and misses cat->sat (cat's top word is 'on')."""
    scores = syntax.score_sentence(cat, syntax.parse(SENTENCE))
    words = scores.words.parse.words
    assert words == ("The", "black", "cat", "sat", "on", "the", "mat", ".")
    # from the raw attention: each of these words is one piece, [CLS] first
    raw = cat.weights[2, 8]
    piece = {w: cat.tokens.index(w.lower()) for w in ("black", "cat", "sat", "on")}
    amod = answer.answer(gold, "amod", scores)
    [arc] = amod.arcs
    on = next(h for h in arc.corpus_heads if (h.layer, h.head) == (2, 8))
    assert (arc.dependent, arc.head) == (1, 2) and on.found and words[on.top_word] == "cat"
    assert on.weight == pytest.approx(raw[piece["black"], piece["cat"]], abs=1e-6)
    assert on.weight == pytest.approx(0.736, abs=5e-4)
    special = [i for i, s in enumerate(cat.special) if s]
    assert on.weight_without_special == pytest.approx(on.weight / (1 - raw[piece["black"], special].sum()), abs=1e-5)
    assert (2, 8, DEPENDENT_TO_HEAD) in arc.found_by
    nsubj = answer.answer(gold, "nsubj", scores)
    [arc] = nsubj.arcs
    on = next(h for h in arc.corpus_heads if (h.layer, h.head, h.direction) == (2, 8, DEPENDENT_TO_HEAD))
    row = raw[piece["cat"]].copy()
    row[piece["cat"]] = -1
    row[special] = -1
    assert not on.found and words[on.top_word] == "on" == cat.tokens[int(row.argmax())]
    assert on.weight == pytest.approx(raw[piece["cat"], piece["sat"]], abs=1e-6) and on.weight < 0.1
    assert (2, 8, DEPENDENT_TO_HEAD) not in arc.found_by and arc.found_by  # others find it here
    said = nsubj.text()
    assert "L2H8 misses \u201ccat\u201d \u2192 \u201csat\u201d: \u201ccat\u201d attends most to \u201con\u201d" in said
    finders = [f"L{h.layer}H{h.head}" for h in arc.corpus_heads if h.found]
    assert finders and f"Of the heads that follow nsubj, {finders[0]}" in said  # names who finds it here
    assert "L2H8 finds \u201cblack\u201d \u2192 \u201ccat\u201d" in amod.text() and "0.74" in amod.text()


def test_syntax_json_carries_the_evidence_and_follows_per_direction():
    doc = json.loads(headscope("syntax", SENTENCE, "--format", "json").stdout)
    assert doc["corpus"] == "UD English-EWT dev+test (gold)"
    nsubj = doc["relations"]["nsubj"]
    assert nsubj["verdict"] == "follows"
    following = {(h["layer"], h["head"], h["direction"]) for h in nsubj["follows"]}
    assert (2, 8, DEPENDENT_TO_HEAD) in following and (2, 8, HEAD_TO_DEPENDENT) not in following
    for h in nsubj["heads"]:  # follows: only for a (head, direction) the corpus lists
        assert h["follows"] == ((h["layer"], h["head"], h["direction"]) in following), h
    l2h8_back = next(h for h in nsubj["heads"] if (h["layer"], h["head"], h["direction"]) == (2, 8, HEAD_TO_DEPENDENT))
    assert l2h8_back["follows"] is False
    [arc] = nsubj["evidence"]
    assert (arc["dependent"], arc["head"]) == (2, 3)
    entry = next(h for h in arc["corpus_heads"] if (h["layer"], h["head"]) == (2, 8))
    assert set(entry) == {"layer", "head", "direction", "found", "top_word", "weight", "weight_without_special"}
    assert entry["found"] is False and doc["words"][entry["top_word"]] == "on"
    assert [(h["layer"], h["head"], h["direction"]) for h in arc["corpus_heads"]] == [
        (h["layer"], h["head"], h["direction"]) for h in nsubj["follows"]
    ]
    assert all(set(f) == {"layer", "head", "direction"} for f in arc["found_by"])
    [amod] = doc["relations"]["amod"]["evidence"]
    l2h8 = amod["corpus_heads"][0]
    assert (l2h8["layer"], l2h8["head"], l2h8["found"]) == (2, 8, True) and l2h8["weight"] == pytest.approx(
        0.736, abs=5e-4
    )


def test_atlas_json_has_the_split_and_reads_the_simple_corpus_by_name():
    doc = json.loads(headscope("atlas", "--format", "json").stdout)
    assert doc["corpus"] == "UD English-EWT dev+test (gold)" and doc["sentences"] > 3800
    amod = doc["relations"]["amod"]
    assert amod["verdict"] == "follows" and amod["split"]["adjacent"]["offset"] == 1
    assert amod["split"]["adjacent"]["arcs"] + amod["split"]["distant"]["arcs"] == amod["count"]
    simple = json.loads(headscope("atlas", "--corpus", "simple", "--format", "json").stdout)
    assert simple["corpus"] == "simple sentences (parsed)" and simple["relations"]["amod"]["verdict"] == "positional"
    text = headscope("atlas").stdout
    assert "adjacent" in text and "distant" in text


def test_the_cli_atlas_reads_a_corpus_past_the_servers_caps_with_a_progress_bar(tmp_path):
    """The 50,000-token and 5,000-sentence caps are a server's: the CLI scores a larger file, and says how far."""
    path = tmp_path / "many.txt"
    path.write_text("The cat sat.\n" * 5100, encoding="utf-8")
    args = ("atlas", "--corpus", str(path), "--format", "json")
    result = headscope(*args, "--progress", HEADSCOPE_MAX_UPLOAD_TOKENS="100")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sentences"] == 5100
    assert "5,100/5,100 sentences" in result.stderr and "Scoring every head [" in result.stderr
    assert "Parsing [" in result.stderr
    quiet = headscope(*args[:3], "--limit", "20", "--format", "json")  # stderr not a terminal: no bar by default
    assert quiet.returncode == 0 and quiet.stderr == ""
