"""The command line, run as users run it: `python -m headscope ...` in a subprocess."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import SENTENCE, SPLIT_SENTENCE
from tests.support import headscope, one_line_error


def test_attention_json(cat):
    result = headscope("attention", SENTENCE, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert set(doc) == {"model", "tokens", "num_layers", "num_heads", "attention"}
    assert doc["model"] == "all-MiniLM-L6-v2"
    assert doc["tokens"] == list(cat.tokens)
    assert (doc["num_layers"], doc["num_heads"]) == (6, 12)
    array = np.array(doc["attention"], dtype=np.float32)
    assert array.shape == (6, 12, 10, 10)
    np.testing.assert_allclose(array, cat.weights, atol=1e-7)


def test_attention_words_json():
    result = headscope("attention", SPLIT_SENTENCE, "--words", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["tokens"] == ["[CLS]", "Tokenization", "is", "unbelievably", "straightforward", ".", "[SEP]"]
    assert np.array(doc["attention"]).shape == (6, 12, 7, 7)


def test_attention_text():
    result = headscope("attention", SENTENCE)
    assert result.returncode == 0
    assert "tokens (10): [CLS] the black cat" in result.stdout
    assert "L5H11" in result.stdout


def test_empty_text_is_one_line_error():
    assert "empty" in one_line_error(headscope("attention", "  "))


def test_bad_usage_is_one_line_error():
    assert "--help" in one_line_error(headscope("attention"))
    assert "--format" in one_line_error(headscope("attention", "x", "--format", "xml"))
    one_line_error(headscope("nonsense"))


def test_missing_model_folder_is_one_line_error(tmp_path):
    line = one_line_error(headscope("attention", SENTENCE, "--model", str(tmp_path / "nowhere")))
    assert "there is no folder" in line
    line = one_line_error(headscope("attention", SENTENCE, "--model", str(tmp_path)))
    assert "no config.json" in line


def test_uncached_hub_id_is_one_line_error():
    line = one_line_error(headscope("attention", SENTENCE, "--model", "headscope-tests/not-a-model"))
    assert "'headscope-tests/not-a-model' is not in the local cache and the hub cannot be reached" in line


def test_roles_json():
    result = headscope("roles", SENTENCE, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["heads"]) == 72
    l0h2 = next(h for h in doc["heads"] if (h["layer"], h["head"]) == (0, 2))
    assert l0h2["role"] == "previous token" and l0h2["previous"] > 0.99
    keys = {"entropy", "special", "punctuation", "previous", "same", "next", "distance", "confidence", "role"}
    assert keys <= set(l0h2)


def test_head_json_equals_the_models_attention(cat):
    result = headscope("head", SENTENCE, "--layer", "3", "--head", "5", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"tokens", "queries", "keys", "values", "scores", "weights", "output"}
    assert np.array(doc["queries"]).shape == (10, 32)
    np.testing.assert_allclose(np.array(doc["weights"]), cat.weights[3, 5], atol=1e-5)


def test_head_out_of_range_is_one_line_error():
    assert "no head L6H0" in one_line_error(headscope("head", SENTENCE, "--layer", "6", "--head", "0"))


def test_broken_config_is_one_line_error(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert", "num_hidden_layers": "x"}')
    assert "cannot load model" in one_line_error(headscope("attention", SENTENCE, "--model", str(tmp_path)))


def test_corpus_problems_are_one_line_errors(tmp_path):
    assert "there is no corpus file" in one_line_error(headscope("atlas", "--corpus", str(tmp_path / "none.txt")))
    bad = tmp_path / "bad.conllu"
    bad.write_text("1\tA\n")
    assert "bad.conllu, line 1" in one_line_error(headscope("atlas", "--corpus", str(bad)))
    assert "--limit must be a positive" in one_line_error(headscope("atlas", "--limit", "0"))


def test_damaged_atlas_cache_is_recomputed(loaded, tmp_path, monkeypatch):
    from headscope import atlas, corpus

    monkeypatch.setenv("HEADSCOPE_CACHE", str(tmp_path))
    text = "The cat sat on the mat.\nA small dog barked at the cat."
    path = tmp_path / atlas.cache_key(loaded.name, text)
    path.write_text("[]")  # not an .npz at all
    assert atlas.cached(loaded, text, lambda: corpus.read_txt(text)).sentences == 2
    assert atlas.load(path).sentences == 2  # and written again, whole


def test_syntax_of_german_is_one_line_naming_english():
    line = one_line_error(headscope("syntax", "Der schwarze Hund schläft im Garten.", "--format", "json"))
    assert line.startswith("headscope: error: this text looks like German, and the parser reads English only: ")


def test_syntax_of_english_with_a_foreign_name_and_an_emoji_still_parses():
    result = headscope("syntax", "Müller met Zoë at the café 😀", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "met" in json.loads(result.stdout)["words"]


def test_knockout_of_french_runs_without_arcs_and_says_why():
    text = headscope("knockout", "Le chat noir dort sur le tapis.", "--heads", "L2H8")
    assert text.returncode == 0, text.stderr
    assert text.stdout.strip().splitlines()[-1] == (
        "note: no arcs: this text looks like French, and the parser reads English only: the heads were switched "
        "off all the same; give an English sentence for the arcs"
    )
    as_json = headscope("knockout", "Le chat noir dort sur le tapis.", "--heads", "L2H8", "--format", "json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["arcs"] == []
    assert as_json.stderr.startswith("headscope: note: no arcs: this text looks like French")
