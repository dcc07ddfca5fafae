"""Full-text search without a DuckDB extension: index terms, query parsing, snippets.

DuckDB's ``fts`` extension is downloaded at run time (not possible on an offline
machine) and its index must be rebuilt by hand after every write. Instead each
article's words go into ``search_terms`` when it is stored (storage/search.py),
and queries are ranked with BM25 in SQL. Everything here is plain text work.

Query syntax: words (all must occur; simple English inflections match, so
``flood`` finds "floods", "flooded", "flooding"), ``prefix*``, and
``"quoted phrases"`` (the words in that order).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from mediawatch.fingerprint import STOPWORDS, tokens
from mediawatch.spans import Segment, WordSpan, segments, word_spans
from mediawatch.text.lexicon import SNOWBALL, stem

TITLE_WEIGHT = 3  # a title word counts as this many body words
MIN_PREFIX = 2  # shorter prefixes would match half the vocabulary
MAX_TERMS = 12  # words per query: more add cost, not precision


STEM_MARK = "~"  # stem postings: "~haus" finds Haus, Hauses, Häuser


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
    """One required word: any of ``forms`` satisfies it; ``prefix`` for ``word*``."""

    word: str
    forms: tuple[str, ...]
    prefix: bool = False


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
_RAW_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*\*?")


def _phrase_pattern(phrase: str) -> str | None:
    words = re.findall(r"[^\W_]+(?:['\u2019][^\W_]+)*", phrase)
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
            if (tok, prefix) in seen or len(terms) >= MAX_TERMS:
                continue
            if prefix and len(tok) >= MIN_PREFIX:
                terms.append(QueryTerm(tok, (tok,), prefix=True))
            elif indexable(tok):
                terms.append(QueryTerm(tok, tuple(term_variants(tok) + stem_forms(tok))))
            else:
                continue
            seen.add((tok, prefix))

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
        return tok in words or (bool(prefixes) and tok.startswith(prefixes))

    first = next((i for i, s in enumerate(spans) if hit(s.token)), 0)
    lo = max(0, first - width // 3)
    hi = min(len(spans), lo + width)
    window = spans[lo:hi]
    start, end = window[0].start, window[-1].end
    piece = text[start:end]
    local = [WordSpan(s.start - start, s.end - start, s.token) for s in window]
    out = segments(piece, local, [hit(s.token) for s in window])
    if lo > 0:
        out.insert(0, Segment("… "))
    if hi < len(spans):
        out.append(Segment(" …"))
    return [Segment(_SPACE.sub(" ", s.text), s.marked) for s in out]
