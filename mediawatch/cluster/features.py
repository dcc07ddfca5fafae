"""Article text -> three sparse feature spaces for story clustering.

Same-kind news (two earthquakes, two rehab stays) share most content words; what separates
two stories is *who*, *where* and *when*. So besides stemmed content words we keep a
separate space of capitalised names (multiword names and their parts) and a space of
numbers/dates. Everything is plain regex + small inline lists: no model or corpus download.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Small English stopword list; also used to break capitalised-name runs ("The", "He", ...).
STOPWORDS = _wordset(
    """a about above after again against all almost also although am among an and another any
    are around as at be became because been before being below between both but by can could
    did do does doing down during each either else ever every few for from further had has
    have having he her here hers herself him himself his how however i if in into is it its
    itself just least less like many may me might more most much must my myself near neither
    no nor not now of off often on once one only or other others our ours out over own per
    perhaps rather same several she should since so some such than that the their theirs them
    themselves then there these they this those though through thus to too toward towards
    under until up upon us very via was we were what whatever when where whether which while
    who whom whose why will with within without would yet you your yours yourself
    said says say saying told tell according also according just new news report reported
    reports reporting story mr mrs ms dr jr sr last first next week year years day days time
    today yesterday tonight ago later earlier still even well back way get got make made take
    took go going went come came want wanted see seen know known think thought don't didn't
    doesn't isn't wasn't aren't weren't won't can't couldn't wouldn't it's he's she's they're
    we're i'm that's there's what's let's"""
)
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
MONTHS = {
    m: i + 1
    for i, ms in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in ms.split()
}
WEEKDAYS = _wordset("monday tuesday wednesday thursday friday saturday sunday")
_NUMBER_WORDS_TEXT = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: i + 2 for i, w in enumerate(_NUMBER_WORDS_TEXT.split(" "))}

TOKEN_RE = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z][A-Za-z']*|\d+(?:[.,:/]\d+)*")
NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
SENTENCE_END_RE = re.compile(r"[.!?:;]")


@dataclass(frozen=True)
class Features:
    """Raw term counts per space; weighting (sublinear tf, IDF) is the clusterer's job."""

    words: dict[str, float] = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)


# A token of a line: (text as written, normalised form, opens a sentence). Tuples, not
# objects: an article has hundreds of tokens, and this runs for every article.
_Token = tuple[str, str, bool]

# Words _number_terms reads when they are not digits.
_NUMBER_LIKE = frozenset(MONTHS) | WEEKDAYS | frozenset(NUMBER_WORDS)


@lru_cache(maxsize=1 << 16)  # pure, and called for every token of every article
def stem(word: str) -> str:
    """Light suffix stripping so 'sentenced'/'sentences'/'sentencing' meet; no corpus needed."""
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
    t = tok.lower().replace(".", "")
    return t[:-2] if t.endswith("'s") else t.rstrip("'")


def _tokenise_line(line: str) -> list[_Token]:
    """Tokens with a sentence-initial flag (after .!?:; unless the dot ends an abbreviation)."""
    line = line.replace("’", "'").replace("‘", "'")
    out: list[_Token] = []
    prev = ""
    # split() gives the gaps: the text before each token, and one more after the last
    for gap, tok in zip(TOKEN_RE.split(line), TOKEN_RE.findall(line), strict=False):
        # most gaps are one space: no sentence end, no regex needed
        initial = not out or (
            gap != " "
            and bool(SENTENCE_END_RE.search(gap))
            and not (
                gap.lstrip().startswith(".") and (prev.lower() in ABBREVIATIONS or len(prev) == 1)
            )
        )
        out.append((tok, _norm(tok), initial))
        prev = tok
    return out


def _is_headline(toks: list[_Token], lowercase: set[str]) -> bool:
    """Title Case or ALL CAPS line: mostly capitalised, and capitals that are not names.

    A name-dense news sentence is mostly capitalised too; a headline also capitalises
    function words ("Dies At 91") or words the article uses in lowercase ("Quake Kills 10").
    """
    alpha = [t for t, _, _ in toks if t[0].isalpha() and len(t) >= 4]
    caps = sum(t[0].isupper() for t in alpha)
    if len(alpha) < 2 or caps < 0.6 * len(alpha):
        return False
    if sum(t.isupper() for t in alpha) >= max(2, 0.6 * len(alpha)):
        return True
    return any(
        t[0].isupper() and not i and (n in STOPWORDS or n in lowercase)
        for t, n, i in toks
        if t[0].isalpha() and len(t) > 1 and n not in MONTHS and n not in WEEKDAYS
    )


def _name_runs(lines: list[list[_Token]], heads: list[bool]) -> list[tuple[int, list[str]]]:
    """Capitalised-name runs; untrusted capitals (sentence starts, headlines) are dropped.

    A capitalised word is trusted when it also appears capitalised mid-sentence in a normal
    line, or when it opens a sentence at least twice and never appears in lowercase.
    """
    trusted: set[str] = set()
    initial_only: Counter[str] = Counter()
    lowercase: set[str] = set()
    for toks, headline in zip(lines, heads, strict=True):
        for t, n, initial in toks:
            if not t[0].isalpha():
                continue
            if not t[0].isupper():
                lowercase.add(n)
            elif headline:
                continue
            elif initial:
                initial_only[n] += 1
            else:
                trusted.add(n)
    trusted |= {n for n, c in initial_only.items() if c >= 2 and n not in lowercase}
    trusted -= STOPWORDS | NOT_NAMES | WEEKDAYS | set(MONTHS)

    runs: list[tuple[int, list[str]]] = []
    for li, toks in enumerate(lines):
        run: list[str] = []
        pending: list[str] = []  # connectors waiting for a following capital
        for t, n, initial in toks:
            cap = t[0].isupper()
            # A sentence-opening word is kept only when trusted; otherwise it just ends a run.
            if cap and n in trusted and t[0].isalpha():
                if run and pending:
                    run.extend(pending)
                pending = []
                run.append(n)
            elif run and not cap and n in CONNECTORS and not initial:
                pending.append(n)
            else:
                if run:
                    runs.append((li, run))
                run, pending = [], []
        if run:
            runs.append((li, run))
    return runs


def _number_terms(toks: list[_Token]) -> Counter[str]:
    """Years, month-day dates, other numbers, number words and weekdays as typed terms."""
    out: Counter[str] = Counter()
    for i, (w, _, _) in enumerate(toks):
        if w[0].isdigit():
            if ":" in w:
                continue  # clock times say little about the event
            m = NUMERIC_DATE_RE.match(w)
            if m:
                if m.group(1):
                    mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                    y = y + 2000 if y < 50 else (y + 1900 if y < 100 else y)
                else:
                    y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    out[f"d{mo}-{d}"] += 1
                out[f"y{y}"] += 1
                continue
            v = w.replace(",", "")
            if v.isdigit() and len(v) == 4 and 1900 <= int(v) <= 2099:
                out[f"y{v}"] += 1
            elif "/" not in v:
                out[f"n{v.rstrip('.')}"] += 1
            continue
        lw = w.lower().rstrip(".")
        if lw not in _NUMBER_LIKE:  # most words: nothing to count
            continue
        if lw in MONTHS and (w[0].isupper()) and (lw != "may" or w == "May"):
            mo = MONTHS[lw]
            out[f"m{mo}"] += 1
            for j in (i + 1, i - 1):  # "November 28" or "28 November"
                if 0 <= j < len(toks):
                    near = toks[j][0]
                    if near.isdigit() and 1 <= int(near) <= 31:
                        out[f"d{mo}-{int(near)}"] += 1
                        break
        elif lw in WEEKDAYS:
            out[f"w{lw}"] += 1
        elif lw in NUMBER_WORDS:
            out[f"n{NUMBER_WORDS[lw]}"] += 1
    return out


def extract_features(title: str, text: str, title_weight: float = 2.0) -> Features:
    """Count terms in all three spaces; title terms count `title_weight` times.

    The title is often also the first line of `text`; it is then not counted twice.
    """
    body = [ln for ln in text.splitlines() if ln.strip()]
    if body and title and body[0].strip() == title.strip():
        body = body[1:]
    lines = [_tokenise_line(title) if title else [], *(_tokenise_line(ln) for ln in body)]
    lowercase = {n for toks in lines for t, n, _ in toks if t[0].islower()}
    heads = [_is_headline(toks, lowercase) for toks in lines]  # once per line, not per token
    weights = [title_weight] + [1.0] * len(body)

    words: Counter[str] = Counter()
    for toks, w in zip(lines, weights, strict=True):
        for t, n, _ in toks:
            if len(n) >= 3 and n not in STOPWORDS and t[0].isalpha() and "'" not in n:
                words[stem(n)] += w

    entities: Counter[str] = Counter()
    for li, run in _name_runs(lines, heads):
        w = weights[li]
        parts = [p for p in run if p not in CONNECTORS and p not in NOT_NAMES]
        if not parts:
            continue
        if len(parts) > 1:
            entities["_".join(parts)] += w
        for p in parts:
            entities[p] += w

    numbers: Counter[str] = Counter()
    for toks, w in zip(lines, weights, strict=True):
        for k, c in _number_terms(toks).items():
            numbers[k] += c * w
    return Features(dict(words), dict(entities), dict(numbers))
