"""data/importance/: the bundled model's head importance over the bundled corpus, as scripts/ship_importance.py
wrote it: there for each ablation, each average the mean of its sentences, and sentences agreeing with a fresh run."""

from __future__ import annotations

import numpy as np
import pytest

from headscope import knockout
from headscope.knockout import store


@pytest.mark.parametrize("ablation", knockout.ABLATIONS)
def test_the_shipped_corpus_importance_agrees_with_a_fresh_computation(loaded, ablation):
    path, _ = knockout.bundled_cache(loaded, ablation)
    shipped = knockout.SHIPPED / path.name
    assert shipped.is_file(), f"{shipped.name} missing: run scripts/ship_importance.py (make importance-data)"
    found = knockout.read_importance(shipped)
    sentences = knockout.bundled_sentences()
    assert found.model == loaded.name and found.ablation == ablation and found.sentences == len(sentences)
    assert found.per_sentence.shape == (len(sentences), loaded.num_layers, loaded.num_heads)
    np.testing.assert_allclose(found.effect, found.per_sentence.astype(np.float64).mean(axis=0), rtol=1e-5, atol=1e-8)
    assert knockout.cached_bundled_importance(loaded, ablation).sentences == found.sentences  # what the page reads
    for i in np.random.default_rng(28).choice(len(sentences), size=4, replace=False):
        fresh = knockout.importance(loaded, sentences[i], ablation, gradient=False).effect
        # torch's thread count changes the last bits of a forward pass: equal up to float32 noise
        np.testing.assert_allclose(found.per_sentence[i], fresh, rtol=1e-3, atol=1e-6, err_msg=sentences[i])


def test_a_stale_file_is_not_found(loaded, tmp_path, monkeypatch):
    path, text = knockout.bundled_cache(loaded, "zero")
    assert knockout.corpus_cache_key(loaded.name, text + "\nA new sentence.", "zero") != path.name
    monkeypatch.setattr(store, "IMPORTANCE_VERSION", store.IMPORTANCE_VERSION + 1)  # where corpus_cache_key reads it
    assert knockout.bundled_cache(loaded, "zero")[0].name != path.name
    assert knockout.cached_bundled_importance(loaded, "zero") is None  # the shipped file is for version 1
