"""Heavy work on the Switch heads off page (AppTest, the real model): a long text's importance on request, the
shipped corpus average, and the corpus average computed on request (its "not computed yet" text gone after)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support import app_grids, on_page, texts
from tests.test_knockout_page import _values

PAGE = "pages/knockout.py"
LONG = (
    "The old lighthouse keeper climbed the narrow stairs every evening, and his daughter, who taught "
    "history at the village school, often brought him warm bread and fresh news from the busy harbour down the hill."
)
"""A text just over knockout.HEAVY_TOKENS: heavy by the rule, quick enough for a test."""


def _grids(at) -> dict:
    return {g["panels"][0]["name"]: g for g in app_grids(at)}


def _button(at, label: str):
    found = [b for b in at.button if b.label == label]
    return found[0] if found else None


def _download_labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_the_long_text_is_heavy_by_the_rule(loaded):
    from headscope import knockout

    assert knockout.token_count(loaded, LONG) > knockout.HEAVY_TOKENS
    assert knockout.token_count(loaded, "The black cat sat on the mat.") <= knockout.HEAVY_TOKENS


def test_a_long_texts_importance_comes_on_request(loaded):
    from headscope import knockout

    at = on_page(PAGE, text=LONG, knockout_heads=["L2H8"])
    assert any("Cosine" in m.label for m in at.metric)  # the knockout itself is shown at once
    assert "this sentence" not in _grids(at)  # not computed on page load
    assert "Head importance as .json" not in _download_labels(at)
    assert any("switching each of the 72 heads off" in c for c in texts(at.caption)), texts(at.caption)
    ask = _button(at, "Switch each of the 72 heads off")
    assert ask is not None and _button(at, "Cancel") is None
    ask.click().run()
    assert not at.exception, at.exception
    grid = _grids(at)["this sentence"]
    assert grid["clickable"] == "cell"
    assert _button(at, "Switch each of the 72 heads off") is None and _button(at, "Cancel") is None
    assert "Head importance as .json" in _download_labels(at)
    at.run()  # the next view takes it from the cache: no button, no job
    assert "this sentence" in _grids(at) and _button(at, "Switch each of the 72 heads off") is None
    fresh = knockout.importance(loaded, LONG).effect  # what the pool's job computed, computed here again
    shown = _values(grid)
    assert shown.shape == fresh.shape and shown.argmax() == fresh.argmax()
    np.testing.assert_allclose(shown, fresh, atol=2 * fresh.max() / grid["levels"])  # the grid's levels


def test_the_shipped_corpus_average_shows_without_a_button(loaded):
    from headscope import knockout

    assert knockout.cached_bundled_importance(loaded, "zero") is not None  # shipped in data/importance/
    at = on_page(PAGE)
    grids = _grids(at)
    assert "bundled corpus (362 sentences)" in grids and "this sentence" in grids
    assert not any("not computed yet" in c for c in texts(at.caption))
    assert _button(at, "Average over the bundled corpus") is None
    assert any("362 simple sentences (data/corpus.txt)" in c for c in texts(at.caption))


@pytest.fixture
def unshipped_small_corpus(loaded, monkeypatch, tmp_path):
    """No shipped corpus average and a bundled corpus of three sentences (the disk cache's file removed after)."""
    from headscope.knockout import store

    monkeypatch.setattr(store, "SHIPPED", tmp_path / "none-shipped")
    three = store.bundled_sentences()[:3]
    monkeypatch.setattr(store, "bundled_sentences", lambda: three)  # where bundled_importance reads it
    path, _ = store.bundled_cache(loaded, "zero")
    path.unlink(missing_ok=True)
    yield three
    path.unlink(missing_ok=True)


def test_the_corpus_average_on_request_replaces_its_caption_and_button(loaded, unshipped_small_corpus):
    from headscope import knockout

    at = on_page(PAGE)
    assert any("not computed yet" in c for c in texts(at.caption))
    ask = _button(at, "Average over the bundled corpus")
    assert ask is not None and not any(name.startswith("bundled corpus") for name in _grids(at))
    ask.click().run()
    assert not at.exception, at.exception
    assert "bundled corpus (3 sentences)" in _grids(at)
    assert not any("not computed yet" in c for c in texts(at.caption))
    assert _button(at, "Average over the bundled corpus") is None and _button(at, "Cancel") is None
    assert any("3 simple sentences" in c for c in texts(at.caption))
    at.run()
    assert not any("not computed yet" in c for c in texts(at.caption))  # and on the next view (read from disk)
    stored = knockout.cached_bundled_importance(loaded, "zero")
    expected = np.mean([knockout.importance(loaded, s, gradient=False).effect for s in unshipped_small_corpus], axis=0)
    np.testing.assert_allclose(stored.effect, expected, rtol=1e-5, atol=1e-7)


def test_arc_changes_equal_those_read_from_whole_word_level_arrays(loaded):
    """The arcs' attention merged for their words only is the whole word-level array's (syntax.word_attention)."""
    from headscope import knockout, syntax

    text = LONG + " The keeper, whose tired old eyes were failing, never missed a single ship."
    parse = syntax.parse(text)
    k = knockout.knockout(loaded, text, [(2, 8), (3, 1)], parse=parse)
    wa, wb = syntax.word_attention(k.intact, parse), syntax.word_attention(k.knocked_out, parse)
    whole = [
        (
            relation,
            direction,
            wa.parse.words[src],
            wa.parse.words[dst],
            wa.weights[:, :, src, dst],
            wb.weights[:, :, src, dst],
        )
        for relation in knockout.ARC_RELATIONS
        for d, g, _ in wa.parse.arcs(relation)
        for direction, (src, dst) in zip(syntax.DIRECTIONS, ((d, g), (g, d)))
    ]
    assert len(k.arcs) == len(whole) > 8 and {a.relation for a in k.arcs} == {"nsubj", "amod"}
    for arc, (relation, direction, source, target, intact, knocked) in zip(k.arcs, whole):
        assert (arc.relation, arc.direction, arc.source, arc.target) == (relation, direction, source, target)
        np.testing.assert_array_equal(arc.intact, intact)
        np.testing.assert_array_equal(arc.knocked_out, knocked)


def test_the_cli_knockout_parses_beside_and_gives_the_engines_arcs(loaded):
    """`knockout` parses in a second process while the model loads; its arcs are the engine's with the parse."""
    import json

    from headscope import knockout, syntax
    from tests.support import headscope

    result = headscope("knockout", LONG, "--heads", "L2H8", "--format", "json")
    assert result.returncode == 0, result.stderr
    arcs = json.loads(result.stdout)["arcs"]
    engine = knockout.knockout(loaded, LONG, [(2, 8)], parse=syntax.parse(LONG))
    assert [(a["relation"], a["source"], a["target"]) for a in arcs] == [
        (a.relation, a.source, a.target) for a in engine.arcs
    ]
    assert len(arcs) >= 4
    for a, b in zip(arcs, engine.arcs):
        np.testing.assert_allclose(a["knocked_out"], b.knocked_out, atol=1e-5)


def test_largest_change_is_the_whole_differences_maximum(loaded):
    from headscope import knockout

    k = knockout.knockout(loaded, LONG, [(2, 8)], ablation="mean")
    expected = np.abs(k.difference).max(axis=(2, 3))
    np.testing.assert_array_equal(k.largest_change(), expected)
    assert np.all(expected[:3] == 0) and expected[3:].min() > 0  # layers after L2 read a changed input
