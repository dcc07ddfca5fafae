"""Full-text search without a DuckDB extension: index terms, query parsing, snippets.

DuckDB's ``fts`` extension is downloaded at run time (not possible on an offline
machine) and its index must be rebuilt by hand after every write. Instead each
article's words go into ``search_terms`` when it is stored (storage/search.py),
and queries are ranked with BM25 in SQL. Everything here is plain text work.

Query syntax: words (all must occur; simple English inflections match, so
``flood`` finds "floods", "flooded", "flooding"), ``prefix*`` (accents aside:
``haus*`` finds "Häuser"), and ``"quoted phrases"`` (the words in that order).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import regex

from mediawatch.fingerprint import STOPWORDS, tokens
from mediawatch.spans import Segment, WordSpan, segments, word_spans
from mediawatch.text.lexicon import SNOWBALL, stem

TITLE_WEIGHT = 3  # a title word counts as this many body words
MIN_PREFIX = 2  # shorter prefixes would match half the vocabulary
MAX_TERMS = 12  # words per query: more add cost, not precision


STEM_MARK = "~"  # stem postings: "~haus" finds Haus, Hauses, Häuser

# Latin letters with accents (precomposed, as NFKC writes them), by their plain letter:
# "ä" -> "a". A whole word meets accents through its stem postings (Snowball folds
# them: "~uberflut"); a prefix is matched against the words themselves, so it folds here.
FOLDED_BLOCKS = (("\u00c0", "\u0250"), ("\u1e00", "\u1f00"))  # Latin-1 .. Extended-B, Additional


def _latin_folds() -> dict[str, str]:
    folds: dict[str, str] = {}
    for lo, hi in FOLDED_BLOCKS:
        for cp in range(ord(lo), ord(hi)):
            parts = unicodedata.normalize("NFD", chr(cp))
            base, marks = parts[0], parts[1:]
            latin = marks and base.isascii() and base.isalpha()
            if latin and all(unicodedata.category(m).startswith("M") for m in marks):
                folds[chr(cp)] = base.lower()
    return folds


def _accented(folds: dict[str, str]) -> dict[str, str]:
    """The letters a prefix's "a" stands for besides itself: "ÀÁÂ...àáâ..."."""
    out: dict[str, str] = {}
    for ch, base in folds.items():
        out[base] = out.get(base, "") + ch
    return out


_FOLDS = _latin_folds()
_FOLD_TABLE = str.maketrans(_FOLDS)
_ACCENTED = _accented(_FOLDS)


def fold_accents(word: str) -> str:
    """``word`` with the accents of its Latin letters taken off ("häuser" -> "hauser"),
    marks written apart too (an "i" and U+0307), so that "haus*" and "häus*" find Häuser
    alike. Other scripts keep their marks: they are letters there, not accents."""
    if word.isascii():
        return word
    out: list[str] = []
    for ch in word.translate(_FOLD_TABLE):
        if out and _is_latin(out[-1]) and unicodedata.category(ch).startswith("M"):
            continue
        out.append(ch)
    return "".join(out)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def prefix_pattern(prefix: str) -> str | None:
    """An RE2 pattern for the indexed words whose ``fold_accents`` starts with the
    folded ``prefix``, the same test in SQL; None when the prefix has no Latin letter
    (then ``starts_with`` finds the same words, faster)."""
    if not any(_is_latin(ch) for ch in prefix):
        return None
    parts = ["^"]
    for ch in prefix:
        if _is_latin(ch):
            parts.append(f"[{ch}{_ACCENTED.get(ch, '')}]\\p{{M}}*")
        elif ch.isascii() and ch.isalnum():
            parts.append(ch)
        else:
            parts.append(f"\\x{{{ord(ch):x}}}")
    return "".join(parts)


def indexable(tok: str) -> bool:
    return tok not in STOPWORDS


def index_terms(
    title: str | None,
    text: str | None,
    text_tokens: list[str] | None = None,
    language: str | None = None,
) -> tuple[Counter[str], int]:
    """Term counts of one article (title words weighted) and its indexed length.
    ``text_tokens``: tokens(text, language), when the caller has them already.

    Words are indexed as written (normalised); in a language with a Snowball stemmer
    other than English (whose inflections the query expands instead), each word's stem
    is indexed too, marked with ``STEM_MARK``.
    """
    counts: Counter[str] = Counter()
    for tok in tokens(text or "", language) if text_tokens is None else text_tokens:
        if indexable(tok):
            counts[tok] += 1
    for tok in tokens(title or "", language):
        if indexable(tok):
            counts[tok] += TITLE_WEIGHT
    n = sum(counts.values())
    if language != "en" and language in SNOWBALL:
        for tok, c in list(counts.items()):
            st = stem(tok, language)
            if st != tok and len(st) >= MIN_PREFIX:
                counts[STEM_MARK + st] += c
    return counts, n


def stem_forms(word: str) -> list[str]:
    """The stem postings a query word may meet: its Snowball stem in every language
    that has one (a query is too short to tell its language; a stem that means nothing
    in a language matches nothing there)."""
    if len(word) < 3 or not word.isalpha():
        return []
    return sorted(
        {STEM_MARK + st for lang in SNOWBALL if lang != "en" and len(st := stem(word, lang)) >= 2}
    )


def _bases(term: str) -> set[str]:
    """Plausible uninflected forms of a word (plural, -ed, -ing stripped)."""
    out = {term}
    if len(term) < 4 or not term.isalpha():
        return out
    if term.endswith("ies"):
        out.add(term[:-3] + "y")
    if term.endswith("es"):
        out.add(term[:-2])
    if term.endswith("s") and not term.endswith("ss"):
        out.add(term[:-1])
    if term.endswith("ied"):
        out.add(term[:-3] + "y")
    if term.endswith("ed"):
        out.update({term[:-2], term[:-1]})
        if len(term) > 5 and term[-3] == term[-4]:
            out.add(term[:-3])  # stopped -> stop
    if term.endswith("ing"):
        out.update({term[:-3], term[:-3] + "e"})
        if len(term) > 6 and term[-4] == term[-5]:
            out.add(term[:-4])  # running -> run
    return {b for b in out if len(b) >= 3}


def term_variants(term: str) -> list[str]:
    """Forms of ``term`` that a search for it should find; nonsense forms are
    harmless (they match nothing), so the rules stay simple."""
    if len(term) < 4 or not term.isalpha():
        return [term]
    forms: set[str] = set()
    for b in _bases(term):
        forms.update({b, b + "s", b + "es", b + "ed", b + "d", b + "ing"})
        if b.endswith("y"):
            forms.update({b[:-1] + "ies", b[:-1] + "ied"})
        if b.endswith("e"):
            forms.add(b[:-1] + "ing")
        if b[-1] not in "aeiouy":
            forms.update({b + b[-1] + "ed", b + b[-1] + "ing"})
    return sorted(forms)


@dataclass(frozen=True)
class QueryTerm:
    """One required word: any of ``forms`` satisfies it; ``prefix`` for ``word*`` (its
    ``word`` accent-folded; ``pattern``: prefix_pattern, when accents can matter)."""

    word: str
    forms: tuple[str, ...]
    prefix: bool = False
    pattern: str | None = None


@dataclass(frozen=True)
class Query:
    text: str
    terms: list[QueryTerm] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # regular expressions (RE2)

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases

    @property
    def words(self) -> set[str]:
        """Tokens to highlight in results."""
        return {f for t in self.terms for f in t.forms}


_SPACE = re.compile(r"\s+")
_PHRASE = re.compile(r'"([^"]*)"')
# A word as tokens() reads one: with its combining marks (``\w`` alone would cut "हिंदी"
# or "i" and U+0307 at the marks, and search for the pieces).
_LETTERS = r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*"
_WORD = regex.compile(rf"{_LETTERS}(?:['\u2019]{_LETTERS})*")
_RAW_WORD = regex.compile(rf"{_LETTERS}(?:['\u2019]{_LETTERS})*\*?")


def _phrase_pattern(phrase: str) -> str | None:
    words = _WORD.findall(phrase)
    if len(words) < 2:
        return None
    parts = [re.escape(w).replace("'", "['\u2019]?").replace("\u2019", "['\u2019]?") for w in words]
    edge = r"[^\p{L}\p{N}]"
    return rf"(?i)(^|{edge}){(edge + '+').join(parts)}({edge}|$)"


def parse_query(text: str) -> Query:
    """Words, ``prefix*`` and ``"phrases"``; stopwords only count inside phrases."""
    terms: list[QueryTerm] = []
    phrases: list[str] = []
    seen: set[tuple[str, bool]] = set()

    def add(word: str, prefix: bool) -> None:
        for tok in tokens(word):
            folded = fold_accents(tok) if prefix else tok  # "häus*", "HAUS*": "haus*"
            as_prefix = prefix and len(folded) >= MIN_PREFIX
            if as_prefix:
                tok = folded
            if (tok, as_prefix) in seen or len(terms) >= MAX_TERMS:
                continue
            if as_prefix:
                terms.append(QueryTerm(tok, (tok,), prefix=True, pattern=prefix_pattern(tok)))
            elif indexable(tok):
                terms.append(QueryTerm(tok, tuple(term_variants(tok) + stem_forms(tok))))
            else:
                continue
            seen.add((tok, as_prefix))

    for phrase in _PHRASE.findall(text):
        for word in _RAW_WORD.findall(phrase):
            add(word.rstrip("*"), False)
        pattern = _phrase_pattern(phrase)
        if pattern:
            phrases.append(pattern)
    rest = _PHRASE.sub(" ", text).replace('"', " ")
    for word in _RAW_WORD.findall(rest):
        add(word.rstrip("*"), word.endswith("*"))
    return Query(text.strip(), terms, phrases)


PRUNED = "(pruned)"


def snippet(text: str | None, query: Query, width: int = 30) -> list[Segment]:
    """About ``width`` words around the first hit, hits marked; the start of the
    text when nothing matches (a title-only hit); "(pruned)" for a pruned text (its
    index rows are kept: it is still found)."""
    if text is None:
        return [Segment(PRUNED)]
    spans = word_spans(text)
    if not spans:
        return []
    words = query.words
    prefixes = tuple(t.word for t in query.terms if t.prefix)

    def hit(tok: str) -> bool:
        return tok in words or (bool(prefixes) and fold_accents(tok).startswith(prefixes))

    first = next((i for i, s in enumerate(spans) if hit(s.token)), 0)
    lo = max(0, first - width // 3)
    hi = min(len(spans), lo + width)
    window = spans[lo:hi]
    # Where the window reaches an end of the text, it keeps what stands before the first
    # word or after the last ("<Update>", "= Results =", a closing full stop).
    start = window[0].start if lo > 0 else len(text) - len(text.lstrip())
    end = window[-1].end if hi < len(spans) else len(text.rstrip())
    piece = text[start:end]
    local = [WordSpan(s.start - start, s.end - start, s.token) for s in window]
    out = segments(piece, local, [hit(s.token) for s in window])
    if lo > 0:
        out.insert(0, Segment("… "))
    if hi < len(spans):
        out.append(Segment(" …"))
    return [Segment(_SPACE.sub(" ", s.text), s.marked) for s in out]
