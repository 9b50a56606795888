"""The language check (headscope/language.py) on the real identifier: foreign text flagged, English never."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from headscope import language
from headscope.syntax import ParseError
from tests.conftest import SENTENCE

FOREIGN = {
    "de": "Der schwarze Hund schläft im Garten.",
    "fr": "Le chat noir dort sur le tapis.",
    "ja": "黒い猫がマットの上に座った。",
}
"""A German, a French and a Japanese sentence: the languages the app's tests type."""

MORE_FOREIGN = [
    ("de", "Ich bin müde."),
    ("de", "Gestern sind wir mit dem Zug nach Berlin gefahren."),
    ("fr", "Nous sommes allés au marché ce matin."),
    ("fr", "Ma sœur travaille dans un hôpital."),
    ("ja", "私は毎朝コーヒーを飲みます。"),
    ("es", "Mañana vamos a la playa con mis padres."),
    ("it", "Il gatto nero dorme sul tappeto."),
    ("ru", "Где находится вокзал?"),
]

ENGLISH = [
    SENTENCE,
    "Müller met Zoë at the café 😀",
    "I saw Björn.",
    "Hi 👋",
    "Hi",
    "Yes.",
    "No way!",
    "See you tomorrow 😀",
    "I love sushi 🍣 and ramen 🍜!",
    "José García arrived in São Paulo.",
    "François and Jürgen visited Zürich last week.",
    "Björk sang at the Reykjavík festival.",
    "We ate croissants and crème brûlée in Paris.",
    "Nguyễn Văn An teaches physics.",
    "Good morning, Señor Gómez.",
    "Schadenfreude is a German word.",
    "Déjà vu.",
    "Bon appétit, everyone!",
    "The café on Rue de Rivoli serves Kaffee und Kuchen.",
    "Angela Merkel met Emmanuel Macron in Berlin.",
]
"""English, short or with emoji, foreign names and loanwords: none may be flagged."""

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus.txt"


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_a_german_a_french_and_a_japanese_sentence_are_flagged(code):
    found = language.identify(FOREIGN[code])
    assert not found.english
    assert found.code == code and found.name == language.NAMES[code]
    assert found.probability >= language.CONFIDENT


@pytest.mark.parametrize(("code", "text"), MORE_FOREIGN)
def test_more_foreign_sentences_are_flagged_with_their_language(code, text):
    assert language.identify(text).code == code


@pytest.mark.parametrize("text", ENGLISH)
def test_english_with_emoji_names_and_loanwords_is_english(text):
    found = language.identify(text)
    assert found.english and found.code == "en" and found.name == "English", found


def test_no_sentence_of_the_bundled_corpus_is_flagged():
    sentences = [line.strip() for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(sentences) > 300
    flagged = [s for s in sentences if not language.identify(s).english]
    assert flagged == []


@pytest.mark.parametrize("text", ["", "   ", "!!!", "1234", "😀👋", "-- ? --", "猫"])
def test_text_without_letters_or_too_short_to_tell_is_english(text):
    assert language.identify(text).english


def test_the_error_is_a_parse_error_of_one_line_naming_english():
    found = language.identify(FOREIGN["de"])
    with pytest.raises(language.NotEnglish) as caught:
        language.require_english(found)
    assert isinstance(caught.value, ParseError)
    message = str(caught.value)
    assert message.startswith("this text looks like German, and the parser reads English only: ")
    assert "\n" not in message and caught.value.language == found
    language.require_english(language.identify(SENTENCE))  # English: nothing raised


def test_the_error_names_what_it_refuses():
    message = str(language.NotEnglish(language.identify(FOREIGN["fr"]), "corpus.txt", "upload English sentences"))
    assert message == "corpus.txt looks like French, and the parser reads English only: upload English sentences"


def test_the_identifier_loads_once_across_threads(monkeypatch):
    monkeypatch.setattr(language, "_IDENTIFIER", None)
    results: list[language.Language] = []

    def check():
        results.append(language.identify(FOREIGN["ja"]))

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = language._identifier()
    assert len(results) == 8 and all(r.code == "ja" for r in results)
    assert language._identifier() is first


def test_a_plain_text_corpus_that_is_not_english_is_refused_naming_english():
    from headscope import corpus

    german = "Der Hund schläft im Garten.\nDie Katze sitzt auf der Matte.\nWir fahren morgen nach Berlin.\n"
    with pytest.raises(language.NotEnglish) as caught:
        corpus.read_upload(german.encode(), "mein.txt")
    assert str(caught.value) == (
        "mein.txt looks like German, and the parser reads English only: upload English sentences, one a line "
        "(a .conllu treebank brings its own parses)"
    )
    english = "Müller met Zoë at the café.\nThe dog barked.\nHi 👋\n"
    assert len(corpus.read_upload(english.encode(), "mine.txt").parses) == 3


def test_a_conllu_treebank_keeps_its_own_parses_whatever_its_language():
    from headscope import corpus

    german = "".join(
        f"{i}\t{w}\t_\tX\t_\t_\t{h}\t{r}\t_\t_\n"
        for i, (w, h, r) in enumerate([("Der", 2, "det"), ("Hund", 3, "nsubj"), ("schläft", 0, "root")], 1)
    )
    assert corpus.read_upload(german.encode(), "de.conllu").parses[0].words == ("Der", "Hund", "schläft")
