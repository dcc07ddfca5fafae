"""Article text -> three sparse feature spaces for story clustering.

Same-kind news (two earthquakes, two rehab stays) share most content words; what separates
two stories is *who*, *where* and *when*. So besides stemmed content words we keep a
separate space of names (multiword names and their parts) and a space of numbers/dates.
The language knowledge (tokens by script, stopwords and stems per language, names with
and without letter case, month names) lives in ``mediawatch.text``; this module counts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from mediawatch.text.dates import MONTHS, NUMBER_LIKE, WEEKDAYS, number_terms, price_terms
from mediawatch.text.frequency import commonness
from mediawatch.text.lexicon import ENGLISH_STOPWORDS, FURNITURE, stopwords
from mediawatch.text.lexicon import stem as snowball
from mediawatch.text.names import NOUN_CAPITALISING, name_key
from mediawatch.text.normalise import fold, normalise
from mediawatch.text.notices import strip_notices
from mediawatch.text.places import GENITIVE_S, compound_place, english_keys, gazetteer
from mediawatch.text.segment import (
    CASELESS,
    MARKS,
    UNSPACED,
    script_of,
    segment_tagged,
    split_clitic,
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# English words that say nothing about an event (on top of the function words).
NEWS_WORDS = _wordset(
    """almost also although among another around became either else ever every however
    least less like many may might much must near neither often others perhaps rather
    several since thus toward towards upon whatever whose yet news report reported reports
    reporting story last first next week year years day days time today yesterday tonight
    ago later earlier still even well back way get got make made take took go going went
    come came want wanted see seen know known think thought don't didn't doesn't isn't
    wasn't aren't weren't won't can't couldn't wouldn't it's he's she's they're we're i'm
    that's there's what's let's"""
)
STOPWORDS = ENGLISH_STOPWORDS | NEWS_WORDS
# Never names by themselves: honorifics, clock/zone words, dateline boilerplate.
NOT_NAMES = _wordset(
    "mr mrs ms dr jr sr sen rep gov gen lt sgt col capt prof rev st gmt et est pst edt pdt bst "
    "utc am pm updated posted published update copyright photo video image share email print "
    "comments"
)
# Lowercase words allowed inside a name run when followed by another capitalised word.
CONNECTORS = _wordset("of de da del della di du la le van von der den bin al el y")
# Tokens before a "." that do not end a sentence.
ABBREVIATIONS = _wordset(
    "mr mrs ms dr jr sr st sen rep gov gen lt sgt col capt prof rev no vs inc co corp ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
TOKEN_RE = regex.compile(r"(?:\p{L}\.){2,}|\p{L}[\p{L}\p{M}']*|\d+(?:[.,:/]\d+)*")
# The same tokens for lines without combining marks, with the faster re module.
PLAIN_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_](?:[^\W\d_]|')*|\d+(?:[.,:/]\d+)*")
SENTENCE_END_RE = re.compile(r"[.!?:;。！？؟।]")


@dataclass(frozen=True)
class Features:
    """Raw term counts per space; weighting (sublinear tf, IDF) is the clusterer's job."""

    words: dict[str, float] = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    # The content words (as in ``words``) of the title and the first LEAD_WORDS words:
    # what the article says it is about (mediawatch.cluster.stories gates links on them).
    lead: frozenset[str] = frozenset()
    # In how many passages (ECHO_WINDOW tokens each; in a list, its lines: LIST_ITEMS) of
    # the text each content word occurs: a report of an event names it throughout, a
    # roundup, a deals list or a guide in one passage. Compact: "" holds the number of
    # passages, and only words in two or more passages are listed (every other word of
    # ``words`` is in one). Empty for a text of one passage. See ``passage_share``.
    spread: dict[str, float] = field(default_factory=dict)
    # How common each lead word is in its language at large (mediawatch.text.frequency
    # .commonness, the most common of its forms in the lead), only those above 0.
    common: dict[str, float] = field(default_factory=dict)


# The passage length of Features.spread, in tokens (title included): a paragraph or two,
# an item of a roundup; a last passage shorter than a third of this joins the one before.
ECHO_WINDOW = 80

# A text that is mostly a list (at least this many items, "- " lines as extraction writes
# them, or "* " and "• ", holding half of its words or more) is a digest or a deals list:
# its passages are its lines (items and headings), not windows, so the items about one
# story count as that many passages of many, however short they are.
LIST_ITEMS = 5
LIST_ITEM_RE = re.compile(r"\s*[-*•]\s")

# How many words of the text (after the title) are its lead: a news report says who did
# what, where, in its first sentences.
LEAD_WORDS = 60

# A token of a line: (text as written, normalised form, opens a sentence, tagged a name).
# Tuples, not objects: an article has hundreds of tokens, and this runs for every article.
_Token = tuple[str, str, bool, bool]


@lru_cache(maxsize=1 << 16)  # pure, and called for every token of every article
def stem(word: str) -> str:
    """Light English suffix stripping so 'sentenced'/'sentences'/'sentencing' meet."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running -> runn -> run
            break
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


@lru_cache(maxsize=1 << 16)
def _norm(tok: str) -> str:
    t = tok.lower().replace(".", "") if tok.isascii() else normalise(tok).replace(".", "")
    return t[:-2] if t.endswith("'s") else t.rstrip("'")


def _tokenise_line(line: str, language: str | None) -> list[_Token]:
    """Tokens with a sentence-initial flag (after .!?:; unless the dot ends an abbreviation)."""
    line = line.replace("’", "'").replace("‘", "'")
    out: list[_Token] = []
    prev = ""
    rx = TOKEN_RE if not line.isascii() and MARKS.search(line) else PLAIN_TOKEN_RE
    end = 0  # where the previous token ended: the gap is the text since
    for m in rx.finditer(line):
        gap, tok, end = line[end : m.start()], m.group(), m.end()
        # most gaps are one space: no sentence end, no regex needed
        initial = not out or (
            gap != " "
            and bool(SENTENCE_END_RE.search(gap))
            and not (
                gap.lstrip().startswith(".")
                and (prev.lower() in ABBREVIATIONS or len(prev) == 1)
                # "2. Add the milk": a number that opens the line is a list marker
                and not (len(out) == 1 and prev.isdigit())
            )
        )
        if tok[0].isdigit():
            tok = fold(tok)
        elif not tok.isascii() and UNSPACED.search(tok):
            # Segmented as written (NFKC, case kept), each word normalised after: a Latin
            # name glued to Han characters ("总统Macron表示") keeps its capital.
            written = unicodedata.normalize("NFKC", tok)
            for k, (word, is_name) in enumerate(segment_tagged(written, language)):
                out.append((word, _norm(word), initial and not k, is_name))
            prev = tok
            continue
        if "'" in tok:  # l'Assemblée: the name is "Assemblée", capital and all
            tok = split_clitic(tok, language)
        out.append((tok, _norm(tok), initial, False))
        prev = tok
    return out


HEADLINE_MAX_TOKENS = 25


def _is_headline(toks: list[_Token], lowercase: set[str]) -> bool:
    """Title Case or ALL CAPS line: mostly capitalised, and capitals that are not names.

    A name-dense news sentence is mostly capitalised too; a headline also capitalises
    function words ("Dies At 91") or words the article uses in lowercase ("Quake Kills 10").
    """
    if len(toks) > HEADLINE_MAX_TOKENS:  # a paragraph; in German most of it is capitalised
        return False
    alpha = [t for t, _, _, _ in toks if t[0].isalpha() and len(t) >= 4]
    caps = sum(t[0].isupper() for t in alpha)
    if len(alpha) < 2 or caps < 0.6 * len(alpha):
        return False
    if sum(t.isupper() for t in alpha) >= max(2, 0.6 * len(alpha)):
        return True
    return any(
        t[0].isupper() and not i and (n in STOPWORDS or n in lowercase)
        for t, n, i, _ in toks
        if t[0].isalpha() and len(t) > 1 and n not in MONTHS and n not in WEEKDAYS
    )


def _common_nouns(lines: list[list[_Token]], language: str | None) -> set[str]:
    """Capitalised words that follow a determiner somewhere in the text: common nouns in
    a language that capitalises nouns (German "die Regierung"), never names. Acronyms
    are names even after an article ("die ÖVP", "der ORF"), and so are countries and
    cities ("die Türkei", "der Iran")."""
    determiners = NOUN_CAPITALISING.get(language or "")
    if not determiners:
        return set()
    places = gazetteer(language)
    out: set[str] = set()
    for toks in lines:
        for k in range(1, len(toks)):
            t, n = toks[k][0], toks[k][1]
            if (
                t[0].isupper()
                and not (len(t) > 1 and t.isupper())
                and (
                    toks[k - 1][1] in determiners
                    or (k > 1 and toks[k - 2][1] in determiners and toks[k - 1][0][0].islower())
                )
                and (name_key(n, language),) not in places
            ):
                out.add(n)
    return out


def _name_runs(
    lines: list[list[_Token]], heads: list[bool], language: str | None
) -> tuple[list[tuple[int, list[str]]], set[str], set[str]]:
    """Name runs per line (untrusted capitals, sentence starts and headlines, are
    dropped), the weak words (never names alone) and the words only ever opening sentences.

    A capitalised word is trusted when it also appears capitalised mid-sentence in a normal
    line, or when it opens a sentence at least twice and never appears in lowercase. Words
    of caseless scripts are names when the segmenter tagged them so, or (no tagger for the
    script) when the text repeats them.
    """
    trusted: set[str] = set()
    initial_only: Counter[str] = Counter()
    lowercase: set[str] = set()
    lower_count: Counter[str] = Counter()
    capital_count: Counter[str] = Counter()
    caseless: Counter[str] = Counter()
    stop = stopwords(language) if language != "en" else STOPWORDS
    for toks, headline in zip(lines, heads, strict=True):
        for t, n, initial, tagged in toks:
            if not t[0].isalpha():
                continue
            if tagged:
                trusted.add(n)
            elif t[0].islower():
                lowercase.add(n)
                lower_count[n] += 1
            elif not t[0].isupper():  # a letter without case
                if len(n) >= 3 and n not in stop and script_of(t) in CASELESS:
                    caseless[n] += 1
            elif headline:
                continue
            elif initial:
                initial_only[n] += 1
            else:
                trusted.add(n)
                capital_count[n] += 1
    # Only ever opening sentences: a name, or an imperative of numbered steps ("Add the
    # milk. ... Add the eggs."); which one, the rest of the text says (extract_features).
    opener = {n for n, c in initial_only.items() if c >= 2 and n not in lowercase} - trusted
    trusted |= opener
    # A word written in lowercase more often than capitalised mid-sentence is a common
    # word in a product line or a heading ("the M12 Heated Jacket"): part of a name with
    # a real name beside it, never a name by itself.
    weak = {n for n, c in capital_count.items() if lower_count[n] > c}
    trusted |= {n for n, c in caseless.items() if c >= CASELESS_REPEATS}
    trusted -= STOPWORDS | NOT_NAMES | WEEKDAYS | set(MONTHS) | stop | FURNITURE
    trusted -= _common_nouns(lines, language)

    runs: list[tuple[int, list[str]]] = []
    for li, toks in enumerate(lines):
        run: list[str] = []
        pending: list[str] = []  # connectors waiting for a following capital
        for t, n, initial, _ in toks:
            # A sentence-opening word is kept only when trusted; otherwise it just ends a run.
            if n in trusted and t[0].isalpha() and not t[0].islower():
                if run and pending:
                    run.extend(pending)
                pending = []
                run.append(n)
            elif run and t[0].islower() and n in CONNECTORS and not initial:
                pending.append(n)
            else:
                if run and not weak.issuperset(run):
                    runs.append((li, run))
                run, pending = [], []
        if run and not weak.issuperset(run):
            runs.append((li, run))
    return runs, weak, opener


CASELESS_REPEATS = 3  # a caseless word repeated this often stands in for a name

# A report of an event names someone or somewhere; a text this long (in words, title
# included) that names nothing is a recipe, a care guide, a how-to. It gets a name of its
# own that no other text shares, so it joins no story on shared vocabulary alone (two
# recipes are two pages, not one story); its copies still join it as a duplicate group.
NAMELESS_WORDS = 100
NAMELESS = "\u2205"  # the prefix of such a name: no name key starts with it


def nameless_key(text: str) -> str:
    """The one name of a long text that names nothing: unique to the text, stable."""
    return NAMELESS + hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def names_nothing(entities: dict[str, float]) -> bool:
    """True for the names of a long text that names nothing (``nameless_key``)."""
    return len(entities) == 1 and next(iter(entities)).startswith(NAMELESS)


@lru_cache(maxsize=64)
def _stopwords_for(language: str | None) -> frozenset[str]:
    """Words that never count: the language's function words, the English ones (English
    phrases and names turn up in every language) and page furniture."""
    if language in (None, "en"):
        return STOPWORDS | FURNITURE
    return stopwords(language) | STOPWORDS | FURNITURE


@lru_cache(maxsize=64)
def _stemmer_for(language: str | None):
    """The stemmer of the words space: the light English one (tuned on English news),
    Snowball for other languages, memoised per word."""
    if language in (None, "en", "und"):
        return stem

    @lru_cache(maxsize=1 << 15)
    def stem_word(word: str) -> str:
        return snowball(word, language)

    return stem_word


def _body_lines(title: str, text: str) -> list[str]:
    """The text's non-empty lines without cookie and consent notices, and without its
    first line where that is the title again (it is not counted twice)."""
    body = [ln for ln in strip_notices(text)[0].splitlines() if ln.strip()]
    if body and title and body[0].strip() == title.strip():
        body = body[1:]
    return body


def extract_features(
    title: str, text: str, title_weight: float = 2.0, language: str | None = "en"
) -> Features:
    """Count terms in all three spaces; title terms count `title_weight` times.

    The title is often also the first line of `text`; it is then not counted twice.
    ``language``: the article's language (``mediawatch.text.detect_language``). Cookie
    and consent notices are page furniture, not the story (``mediawatch.text.notices``).
    """
    body = _body_lines(title, text)
    lines = [
        _tokenise_line(title, language) if title else [],
        *(_tokenise_line(ln, language) for ln in body),
    ]
    lowercase = {n for toks in lines for t, n, _, _ in toks if t[0].islower()}
    heads = [_is_headline(toks, lowercase) for toks in lines]  # once per line, not per token
    weights = [title_weight] + [1.0] * len(body)
    stop = _stopwords_for(language)
    words: Counter[str] = Counter()
    stem_of = _stemmer_for(language)
    numeric: list[int] = []  # lines with a digit or a number-like word
    lead: set[str] = set()
    common: dict[str, float] = {}  # how common each lead word is in the language at large
    where: dict[str, set[int]] = {}  # the passages a word occurs in
    items = [li for li, ln in enumerate(body, start=1) if LIST_ITEM_RE.match(ln)]
    listed = len(items) >= LIST_ITEMS and 2 * sum(len(lines[li]) for li in items) >= sum(
        map(len, lines[1:])
    )
    pos = 0  # tokens before this line, title included
    seen = 0  # tokens of the text before this line
    for li, (toks, w) in enumerate(zip(lines, weights, strict=True)):
        has_number = False
        room = len(toks) if li == 0 else LEAD_WORDS - seen  # tokens of this line in the lead
        if li > 0:
            seen += len(toks)
        for i, (t, n, _, _) in enumerate(toks):
            if not t[0].isalpha():
                has_number = has_number or t[0].isdigit()
                continue
            if n in NUMBER_LIKE:
                has_number = True
            if (
                (len(n) >= 3 or (len(n) == 2 and bool(UNSPACED.match(n))))
                and n not in stop
                and "'" not in n
            ):
                k = stem_of(n)
                words[k] += w
                where.setdefault(k, set()).add(li if listed else (pos + i) // ECHO_WINDOW)
                if i < room:
                    lead.add(k)
                    if (c := commonness(n, language)) > common.get(k, 0.0):
                        common[k] = c
        pos += len(toks)
        if has_number:
            numeric.append(li)

    entities: Counter[str] = Counter()
    runs, weak, opener = _name_runs(lines, heads, language)
    named = False  # a name written mid-sentence somewhere: not just sentence openers
    for li, run in runs:
        w = weights[li]
        parts = [p for p in run if p not in CONNECTORS and p not in NOT_NAMES]
        keys = english_keys([k for k in (name_key(p, language) for p in parts) if k], language)
        if not keys:
            continue
        named = named or not opener.issuperset(parts)
        if len(keys) > 1:
            entities["_".join(keys)] += w
        # A weak word is not a name by itself ("Heated" of "Venture Heated Vest").
        weak_keys = {name_key(p, language) for p in parts if p in weak}
        for k in keys:
            if k not in weak_keys:
                entities[k] += w
    if language in GENITIVE_S:  # a country at the head of a compound noun: Irakkrieg
        for toks, w in zip(lines, weights, strict=True):
            for t, n, _, _ in toks:
                if t[0].isupper() and (found := compound_place(name_key(n, language), language)):
                    named = True
                    for k in found:
                        entities[k] += w

    # A long text whose only "names" open sentences ("Add ...", "Stir ...") names nothing.
    if not named and sum(map(len, lines)) >= NAMELESS_WORDS:
        entities = Counter({nameless_key(text): 1.0})

    numbers: Counter[str] = Counter()
    raw = [title, *body]
    for li in numeric:  # most lines have no number and no month
        toks, w = lines[li], weights[li]
        found = number_terms([(t, n) for t, n, _, _ in toks])
        found.subtract(price_terms(raw[li]))  # a price is no event's figure
        for k, c in found.items():
            if c > 0:
                numbers[k] += c * w
    return Features(
        dict(words),
        dict(entities),
        dict(numbers),
        frozenset(lead),
        _spread(where, len(lines) if listed else _windows(pos)),
        common,
    )


def lead_forms(title: str, text: str, language: str | None) -> dict[str, str]:
    """Each lead term (as in ``Features.lead``) and its first form as written in the title
    and the first LEAD_WORDS words: to show a person which words link two articles
    ("Beijing", not the stem "beij")."""
    stem_of = _stemmer_for(language)
    forms: dict[str, str] = {}
    seen = 0
    for li, line in enumerate([title, *_body_lines(title, text)]):
        toks = _tokenise_line(line, language) if line else []
        room = len(toks) if li == 0 else LEAD_WORDS - seen
        if li > 0:
            if room <= 0:
                break
            seen += len(toks)
        for t, n, _, _ in toks[:room]:
            if t[0].isalpha():  # "Beijing's" is shown as "Beijing"
                forms.setdefault(stem_of(n), t.removesuffix("'s").removesuffix("'"))
    return forms


def _windows(tokens: int) -> int:
    """Passages of ECHO_WINDOW tokens in a text of ``tokens``: a short last one joins the
    one before."""
    return tokens // ECHO_WINDOW + (tokens % ECHO_WINDOW >= ECHO_WINDOW / 3)


def _spread(where: dict[str, set[int]], n: int) -> dict[str, float]:
    """Features.spread from the passages (0 to n - 1; a later one counts as the last) each
    word occurs in."""
    if n < 2:
        return {}
    out: dict[str, float] = {"": float(n)}
    for k, wins in where.items():
        if (m := len({min(x, n - 1) for x in wins})) > 1:
            out[k] = float(m)
    return out


def passage_share(words: dict[str, float], spread: dict[str, float], term: str) -> float:
    """The share of a text's passages that hold ``term`` (Features.spread): 1 in a text of
    one passage, 0 for a word the text does not have."""
    if term not in words:
        return 0.0
    if not spread:
        return 1.0
    return spread.get(term, 1.0) / spread[""]
