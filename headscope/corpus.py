"""Corpora for the head atlas: plain text (parsed by spaCy) or CoNLL-U (gold parses)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from headscope import language
from headscope import policy as server_policy
from headscope.policy import Policy
from headscope.syntax import Parse, ParseError, parse_many

DATA = Path(__file__).resolve().parent.parent / "data"
SIMPLE_CORPUS = DATA / "corpus.txt"
"""The project's own simple sentences, one a line (parsed by the bundled parser)."""
GOLD_FILES = (DATA / "ud_english_ewt" / "en_ewt-ud-dev.conllu", DATA / "ud_english_ewt" / "en_ewt-ud-test.conllu")
"""UD English-EWT dev and test: hand-corrected dependency trees (CC BY-SA 4.0, data/ud_english_ewt/README.md)."""

# Defaults of an upload's caps; a server sets its own in Policy (HEADSCOPE_MAX_UPLOAD_BYTES,
# HEADSCOPE_MAX_UPLOAD_SENTENCES, HEADSCOPE_MAX_SENTENCE_CHARS, HEADSCOPE_MAX_UPLOAD_TOKENS or [headscope]
# in secrets.toml).
MAX_BYTES = server_policy.MAX_UPLOAD_BYTES
MAX_SENTENCES = server_policy.MAX_UPLOAD_SENTENCES
MAX_SENTENCE_CHARS = server_policy.MAX_SENTENCE_CHARS
MAX_TOKENS = server_policy.MAX_UPLOAD_TOKENS

UD_TO_SPACY = {
    "obj": "dobj",
    "nmod:poss": "poss",
    "nsubj:pass": "nsubjpass",
    "aux:pass": "auxpass",
    "iobj": "dative",
    "compound:prt": "prt",
}
"""Universal Dependencies relation names mapped to spaCy's English ones (the rest: subtype dropped).

`case` is not renamed but restructured (see `_case_to_prep_pobj`): UD hangs a preposition
under its noun ("on" <-case- "mat" <-obl- "sat"), spaCy's scheme hangs the noun under the
preposition and the preposition under the verb ("mat" -pobj-> "on" -prep-> "sat").
"""


@dataclass(frozen=True)
class Corpus:
    """Parsed sentences and where they came from."""

    name: str
    parses: list[Parse]
    gold: bool  # True for a treebank's own parses, False for spaCy's


def size_text(num_bytes: int) -> str:
    """'5.0 MB', or '0.0 MB (800 bytes)' for sizes that round to nothing in MB."""
    return f"{num_bytes / 1e6:,.1f} MB" + (f" ({num_bytes:,} bytes)" if num_bytes < 100_000 else "")


def limits_text(policy: Policy) -> str:
    """The caps on an uploaded corpus, in a sentence."""
    return (
        f"At most {size_text(policy.max_upload_bytes)}, {policy.max_upload_sentences:,} sentences, "
        f"{policy.max_sentence_chars:,} characters a line (plain text), {policy.max_upload_tokens:,} of "
        "the model's tokens in all."
    )


def check_size(num_bytes: int, name: str, max_bytes: int) -> None:
    """Refuse an upload larger than the cap, before anything reads or parses it."""
    if num_bytes > max_bytes:
        raise ParseError(f"{name} is {size_text(num_bytes)}; the limit is {size_text(max_bytes)}")


def _utf16_or_32(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the file starts with that byte-order mark or decodes as such plain text."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    if b"\x00" not in head:
        return None
    for encoding, codecs in (("UTF-32", ("utf-32-le", "utf-32-be")), ("UTF-16", ("utf-16-le", "utf-16-be"))):
        for codec in codecs:
            cut = head[: len(head) - len(head) % (4 if encoding == "UTF-32" else 2)]
            try:
                text = cut.decode(codec)
            except UnicodeDecodeError:
                continue
            if text and "\x00" not in text and sum(c.isprintable() or c in "\t\r\n" for c in text) > 0.95 * len(text):
                return encoding
    return None


def _check_size(data: bytes, name: str, max_bytes: int) -> str:
    """Decode an uploaded corpus as UTF-8 text within the size cap, or say why not."""
    check_size(len(data), name, max_bytes)
    encoding = _utf16_or_32(data[:65536])
    if encoding:
        raise ParseError(
            f"{name} is {encoding} text, not UTF-8: save it as UTF-8, or convert it, e.g. "
            f"`iconv -f {encoding} -t UTF-8 in.txt > out.txt`"
        )
    if b"\x00" in data[:65536]:
        raise ParseError(f"{name} looks like a binary file, not text")
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark: drop it, so line numbers stay right
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(f"{name}, line {line}: not UTF-8 text (save the file as UTF-8)") from None


Progress = Callable[[int, int], None]
TokenCount = Callable[[list[str]], int]


def check_tokens(texts: list[str], name: str, count_tokens: TokenCount | None, max_tokens: int) -> None:
    """Refuse a corpus whose sentences make more tokens for the model than the cap (the atlas's work)."""
    if count_tokens is None:
        return
    total = count_tokens(texts)
    if total > max_tokens:
        raise ParseError(
            f"{name} makes {total:,} tokens for this model; the limit is {max_tokens:,} "
            "(the atlas's time grows with them): use fewer or shorter sentences"
        )


LANGUAGE_SAMPLE = 20_000
"""Characters of a plain-text corpus whose language is checked (its first sentences)."""
CORPUS_ADVICE = "upload English sentences, one a line (a .conllu treebank brings its own parses)"
"""What to do with a plain-text corpus that is not English."""


def read_txt(
    text: str,
    name: str = "corpus.txt",
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_SENTENCE_CHARS,
    count_tokens: TokenCount | None = None,
    max_tokens: int = MAX_TOKENS,
    progress: Progress | None = None,
) -> Corpus:
    """One sentence a line (blank lines skipped), parsed by the bundled parser.

    With `count_tokens` (the model's tokens of some texts), a corpus over `max_tokens` is
    refused before it is parsed; `progress(done, total)` follows the parse.
    """
    lines = [line.strip() for line in lines_of(text)]
    sentences = [line for line in lines if line]
    if not sentences:
        raise ParseError(f"{name} has no sentences (one sentence a line is expected)")
    if len(sentences) > max_sentences:
        raise ParseError(f"{name} has {len(sentences):,} sentences; the limit is {max_sentences:,}")
    for number, line in enumerate(lines, 1):
        if len(line) > max_chars:
            raise ParseError(f"{name}, line {number}: longer than {max_chars:,} characters")
    language.require_english(language.identify(" ".join(sentences)[:LANGUAGE_SAMPLE]), name, CORPUS_ADVICE)
    check_tokens(sentences, name, count_tokens, max_tokens)
    return Corpus(name=name, parses=parse_many(sentences, progress=progress), gold=False)


def lines_of(text: str) -> list[str]:
    """The lines of a file: split on newlines only (str.splitlines also splits on U+2028 and others)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _ud_relation(deprel: str) -> str:
    """A UD relation name as the spaCy scheme names it."""
    return UD_TO_SPACY.get(deprel, UD_TO_SPACY.get(deprel.split(":")[0], deprel.split(":")[0]))


def _case_to_prep_pobj(heads: list[int], rels: list[str]) -> tuple[list[int], list[str]]:
    """Turn UD's noun <-case- adposition into spaCy's adposition -prep-> X, noun -pobj-> adposition.

    Only for nouns attached as `obl` or `nmod`; with two case words ("in to"), the first
    becomes the preposition and the second stays `case`.
    """
    heads, rels = list(heads), list(rels)
    for c, rel in enumerate(rels):
        if rel != "case":
            continue
        noun = heads[c]
        if noun < 0 or rels[noun] not in ("obl", "nmod") or heads[noun] < 0:
            continue  # only prepositional phrases; a possessive 's stays `case`, as in spaCy
        governor = heads[noun]
        heads[c], rels[c] = governor, "prep"
        heads[noun], rels[noun] = c, "pobj"
    return heads, rels


def _has_cycle(heads: list[int]) -> int | None:
    """The index of a word whose chain of heads never reaches the root, if any (each word walked once)."""
    reaches_root = [False] * len(heads)
    for start in range(len(heads)):
        path, on_path, node = [], set(), start
        while node >= 0 and not reaches_root[node]:
            if node in on_path:
                return start
            path.append(node)
            on_path.add(node)
            node = heads[node]
        for n in path:
            reaches_root[n] = True
    return None


def _token_spans(token: str, start: int, forms: list[str]) -> list[tuple[int, int]]:
    """The character spans of a multi-word token's words, the token written from `start`.

    Where the words spell the token ("don't" = "do" + "n't"), each word gets its own part,
    so that each keeps its own word pieces; otherwise ("du" = "de" + "le") each gets the
    whole token.
    """
    if "".join(forms) != token or not all(forms):
        return [(start, start + len(token))] * len(forms)
    spans = []
    for form in forms:
        spans.append((start, start + len(form)))
        start += len(form)
    return spans


def _sentence(rows: list[tuple[int, list[str]]], name: str, ranges: dict[int, tuple[int, list[str]]]) -> Parse:
    """One CoNLL-U sentence (its word lines, with line numbers) as a Parse.

    The text is what the sentence says: a multi-word token ("cannot" = "can" + "not") is
    written once, and its words get their parts of it (see `_token_spans`).
    """
    words, heads, rels, spans = [], [], [], []
    text = ""
    token_end = 0  # the last word id of the multi-word token being read, 0 outside one
    token_spans: dict[int, tuple[int, int]] = {}  # word id -> its span in that token
    for expected, (number, cols) in enumerate(rows, 1):
        if int(cols[0]) != expected:
            raise ParseError(f"{name}, line {number}: word ID {cols[0]} where {expected} was expected")
        try:
            if not cols[6].isascii():  # int() would accept other scripts' digits
                raise ValueError(cols[6])
            head = int(cols[6])
        except ValueError:
            raise ParseError(f"{name}, line {number}: HEAD {cols[6]!r} is not a number") from None
        if not 0 <= head <= len(rows):
            raise ParseError(f"{name}, line {number}: HEAD {head} points outside the sentence")
        form = cols[1]
        if expected in ranges:
            token_end, token = ranges[expected]
            forms = [word[1] for _, word in rows[expected - 1 : token_end]]
            token_spans = dict(enumerate(_token_spans(token[1], len(text), forms), expected))
            text += token[1] + ("" if "SpaceAfter=No" in token[9].split("|") else " ")
        if expected <= token_end:
            spans.append(token_spans[expected])
        else:
            spans.append((len(text), len(text) + len(form)))
            text += form
            if "SpaceAfter=No" not in cols[9].split("|"):
                text += " "
        words.append(form)
        heads.append(head - 1)
        rels.append(_ud_relation(cols[7]))
    cycle = _has_cycle(heads)
    if cycle is not None:
        raise ParseError(f"{name}, line {rows[cycle][0]}: the heads form a cycle (no path to the root)")
    heads, rels = _case_to_prep_pobj(heads, rels)
    rels = ["ROOT" if h < 0 else r for h, r in zip(heads, rels)]
    return Parse(text=text.rstrip(), words=tuple(words), spans=tuple(spans), heads=tuple(heads), relations=tuple(rels))


def read_conllu(text: str, name: str = "corpus.conllu", max_sentences: int = MAX_SENTENCES) -> Corpus:
    """A CoNLL-U treebank with its gold parses; multi-word token ranges and empty nodes are skipped."""
    parses: list[Parse] = []
    rows: list[tuple[int, list[str]]] = []
    ranges: dict[int, tuple[int, list[str]]] = {}  # first word id -> (last word id, the token's columns)

    def flush() -> None:
        if rows:
            parses.append(_sentence(rows, name, ranges))
            rows.clear()
            ranges.clear()
            if len(parses) > max_sentences:
                raise ParseError(f"{name} has more than {max_sentences:,} sentences; the limit is {max_sentences:,}")

    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            flush()
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise ParseError(f"{name}, line {number}: {len(cols)} tab-separated columns where CoNLL-U has 10")
        word_id = cols[0]
        if "." in word_id:  # an empty node
            continue
        if "-" in word_id:  # a multi-word token's range: its words follow
            first, _, last = word_id.partition("-")
            if not (first.isascii() and first.isdigit() and last.isascii() and last.isdigit()) or int(last) < int(
                first
            ):
                raise ParseError(f"{name}, line {number}: {word_id!r} is not a word range like 3-4")
            ranges[int(first)] = (int(last), cols)
            continue
        if not (word_id.isascii() and word_id.isdigit()):
            raise ParseError(f"{name}, line {number}: word ID {word_id!r} is not a number")
        rows.append((number, cols))
    flush()
    if not parses:
        raise ParseError(f"{name} has no sentences")
    return Corpus(name=name, parses=parses, gold=True)


def read_upload(
    data: bytes,
    filename: str,
    policy: Policy | None = None,
    count_tokens: TokenCount | None = None,
    progress: Progress | None = None,
) -> Corpus:
    """An uploaded corpus within the policy's caps: .conllu for a treebank, anything else one sentence a line.

    `count_tokens` (the model's tokens of some texts) applies the cap on tokens; `progress`
    follows the parse of a plain-text corpus.
    """
    policy = policy or Policy()
    text = _check_size(data, filename, policy.max_upload_bytes)
    if filename.lower().endswith((".conllu", ".conll")):
        treebank = read_conllu(text, filename, policy.max_upload_sentences)
        check_tokens([p.text for p in treebank.parses], filename, count_tokens, policy.max_upload_tokens)
        return treebank
    return read_txt(
        text,
        filename,
        policy.max_upload_sentences,
        policy.max_sentence_chars,
        count_tokens,
        policy.max_upload_tokens,
        progress,
    )


GOLD, SIMPLE = "gold", "simple"
DEFAULT = GOLD
"""The corpus every verdict comes from unless the user picks another: the gold treebank."""


@dataclass(frozen=True)
class Source:
    """A corpus shipped with Headscope: its files, its name, and what it is in a sentence."""

    key: str
    name: str
    about: str
    files: tuple[Path, ...]

    def text(self) -> str:
        """The files' text, joined (what the atlas's cache key is made of)."""
        return "\n".join(f.read_text(encoding="utf-8") for f in self.files)


SOURCES = {
    GOLD: Source(
        GOLD,
        "UD English-EWT dev+test (gold)",
        "4,078 sentences of English web text (blogs, reviews, e-mails, answers) whose dependency trees were "
        "corrected by hand: Universal Dependencies English Web Treebank, dev and test (CC BY-SA 4.0)",
        GOLD_FILES,
    ),
    SIMPLE: Source(
        SIMPLE,
        "simple sentences (parsed)",
        "short English sentences written for this project (data/corpus.txt), parsed by the bundled parser "
        "(spaCy's en_core_web_sm): the parser's mistakes count as right answers",
        (SIMPLE_CORPUS,),
    ),
}
"""The shipped corpora, the default first."""


def shipped(key: str = DEFAULT) -> Corpus:
    """A shipped corpus read in full; no upload caps apply."""
    source = SOURCES[key]
    if key == SIMPLE:
        return read_txt(source.text(), name=source.name, max_sentences=10**9)
    parses = [p for f in source.files for p in read_conllu(f.read_text(encoding="utf-8"), f.name, 10**9).parses]
    return Corpus(name=source.name, parses=parses, gold=True)
