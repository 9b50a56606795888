"""Which language a text is in, so that the English parser reads only English (py3langid).

A text counts as English unless the identifier is confident it is another language: its
best language (over all 139, probabilities normalised) is not English, with probability
`CONFIDENT` or more, and, when some of its words carry letters outside ASCII (a foreign
name, an emoji, "crème brûlée"), its ASCII words on their own are not English either.
Text with no letters (empty, digits, symbols) is English: there is nothing to flag.
DEVELOPERS.md ("The language check") gives the measured false positives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from headscope.syntax import ParseError

CONFIDENT = 0.6
"""The identifier's normalised probability above which a non-English guess is believed."""

ENGLISH_LIKE = frozenset({"en", "pcm"})
"""Guesses taken as English: English, and Nigerian Pidgin (English-based; the identifier's guess for terse English)."""

NO_LANGUAGE = "zxx"
"""The identifier's label for text with no linguistic content (links, code)."""

NAMES = {
    "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "arz": "Egyptian Arabic",
    "ary": "Moroccan Arabic", "as": "Assamese", "ace": "Acehnese", "az": "Azerbaijani", "ba": "Bashkir",
    "bcl": "Central Bikol", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton",
    "bs": "Bosnian", "ca": "Catalan", "crh": "Crimean Tatar", "cs": "Czech", "cy": "Welsh", "da": "Danish",
    "de": "German", "dz": "Dzongkha", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "ext": "Extremaduran", "fa": "Persian", "fi": "Finnish",
    "fo": "Faroese", "fr": "French", "fuv": "Fulfulde", "fy": "Frisian", "ga": "Irish",
    "gcf": "Guadeloupean Creole", "gcr": "Guianese Creole", "gd": "Scottish Gaelic", "gl": "Galician",
    "gom": "Konkani", "grc": "Ancient Greek", "gu": "Gujarati", "gug": "Guarani", "guw": "Gun",
    "ha": "Hausa", "hbo": "Ancient Hebrew", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "ig": "Igbo",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian",
    "kab": "Kabyle", "kik": "Kikuyu", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean",
    "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lg": "Ganda", "lij": "Ligurian",
    "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian", "ltg": "Latgalian", "lv": "Latvian", "mg": "Malagasy",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian",
    "nso": "Northern Sotho", "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi",
    "pcm": "Nigerian Pidgin", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua",
    "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "sdh": "Southern Kurdish",
    "se": "Northern Sami", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali",
    "sq": "Albanian", "sr": "Serbian", "st": "Southern Sotho", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen", "tl": "Tagalog",
    "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "uzs": "Southern Uzbek", "vec": "Venetian", "vi": "Vietnamese", "vo": "Volapük", "wa": "Walloon",
    "wuu": "Wu Chinese", "xh": "Xhosa", "yo": "Yoruba", "yue": "Cantonese", "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip
"""English names of the identifier's languages (ISO 639 codes)."""

THIS_TEXT = "this text"
"""What NotEnglish refuses unless told otherwise: the sentence being looked at (a corpus names its file)."""
TEXT_ADVICE = "type an English sentence to see its syntax (attention is drawn for any text)"
"""What to do about a text that is not English."""


@dataclass(frozen=True)
class Language:
    """What the check decided: the language taken (`en` unless another is confident), and the guess behind it."""

    code: str
    name: str
    english: bool
    guess: str = ""  # the identifier's best language ("" for text without letters)
    probability: float = 0.0  # its normalised probability


ENGLISH = Language("en", "English", True)
"""A text with nothing to flag."""


class NotEnglish(ParseError):
    """A text the English parser should not read; the one-line message names its language and English."""

    def __init__(self, language: Language, what: str = THIS_TEXT, advice: str = TEXT_ADVICE):
        super().__init__(f"{what} looks like {language.name}, and the parser reads English only: {advice}")
        self.language, self.what = language, what


_IDENTIFIER = None
_LOCK = threading.Lock()


def _identifier():
    """py3langid's identifier over all its languages, normalised probabilities; loaded once per process."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER


def _best(text: str) -> tuple[str, float]:
    """The identifier's most likely language for a text and its probability (read-only: safe across threads)."""
    code, probability = _identifier().classify(text)
    return code, float(probability)


def _foreign(code: str, probability: float) -> bool:
    """A guess confident enough, and of a language other than English, to believe."""
    return code not in ENGLISH_LIKE and code != NO_LANGUAGE and probability >= CONFIDENT


def ascii_words(text: str) -> str:
    """The text's whitespace-separated words written in ASCII only (foreign names and emoji left out)."""
    return " ".join(w for w in text.split() if w.isascii())


def _has_letters(text: str, least: int = 1) -> bool:
    """Whether the text holds at least `least` letters."""
    return sum(c.isalpha() for c in text) >= least


def identify(text: str) -> Language:
    """The language of a text as the parser should take it: English unless confidently another (see the module)."""
    if not _has_letters(text):
        return ENGLISH
    code, probability = _best(text)
    english = replace(ENGLISH, guess=code, probability=probability)
    if not _foreign(code, probability):
        return english
    rest = ascii_words(text)
    if rest != text and _has_letters(rest, 2) and _best(rest)[0] in ENGLISH_LIKE | {NO_LANGUAGE}:
        return english  # its ASCII words read as English: the rest is names, loanwords, emoji
    return Language(code, NAMES.get(code, f"the language coded {code!r}"), False, code, probability)


def require_english(language: Language, what: str = THIS_TEXT, advice: str = TEXT_ADVICE) -> None:
    """Raise NotEnglish (a ParseError) unless the check found the text English."""
    if not language.english:
        raise NotEnglish(language, what, advice)
