"""Exact verification of an LSH candidate pair: exact / near_copy / rewrite / none.

Every decision carries the scores and thresholds it was taken on, so a user can
be shown *why* two articles were grouped (or not).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from mediawatch.fingerprint import (
    SENT_MIN_WORDS,
    content_words,
    keyed_lines,
    sentence_tokens,
    shingles,
    text_language,
    tokens,
)
from mediawatch.text.notices import strip_notices

Relation = Literal["exact", "near_copy", "rewrite"]

# Length policy (why: below these sizes one shared headline, teaser, quote or
# a few edits decide the score, so a duplicate claim is not safe):
#  * no near_copy/rewrite claim when the shorter text has < 25 words;
#  * a shorter text with < 2 substantive sentences (>= 5 content words each)
#    needs >= 50 words (else it is headline/teaser size); the same holds for the
#    part that is actually copied;
#  * a *contained* copy (shorter < half the longer) needs >= 40 words;
#  * a rewrite needs >= 5 aligned sentences;  an exact copy needs >= 8 words.
MIN_TOKENS = 25
MIN_EXACT_TOKENS = 8
COVER_K = 4  # passage length (words) that counts as copied text
THRESHOLDS: dict[str, float] = {
    "min_tokens": MIN_TOKENS,
    "min_exact_tokens": MIN_EXACT_TOKENS,
    "min_single_sentence_tokens": 50,
    "contained_ratio": 0.50,  # shorter/longer below this: a contained copy
    "min_contained_tokens": 40,
    # near_copy: share of the shorter text's words inside shared 4-word passages
    "near_copy_coverage": 0.70,
    # rewrite: in-order aligned sentences of the shorter text (weighted by words)
    "sentence_match_dice": 0.55,  # content-word Dice for two sentences to match
    "sentence_match_shared": 4,  # and at least this many shared content words
    "rewrite_alignment": 0.60,
    "rewrite_min_aligned": 5,
    "rewrite_word_containment": 0.50,  # content words of shorter found in longer
    # `containment` is reported when the shorter text is below this length ratio
    "containment_report_ratio": 0.80,
}


def length_floor(n_short: int, n_long: int, sentences_short: int) -> str | None:
    """Why a pair is too short for a near_copy/rewrite claim, or None if it is not."""
    t = THRESHOLDS
    if n_short < t["min_tokens"]:
        return f"shorter text has {n_short} words < {t['min_tokens']:.0f}"
    if sentences_short < 2 and n_short < t["min_single_sentence_tokens"]:
        return (
            f"shorter text has {sentences_short} substantive sentence(s) and {n_short} words "
            f"< {t['min_single_sentence_tokens']:.0f} (headline/teaser size)"
        )
    if n_short / max(1, n_long) < t["contained_ratio"] and n_short < t["min_contained_tokens"]:
        return (
            f"shorter text ({n_short} words) sits in one {n_long / n_short:.1f}x longer; "
            f"a contained copy needs >= {t['min_contained_tokens']:.0f} words"
        )
    return None


@dataclass(frozen=True)
class DupDecision:
    """Verdict for one pair; relation None means 'not a duplicate'."""

    relation: Relation | None
    scores: dict[str, float]
    thresholds: dict[str, float]
    containment: float | None
    reason: str


@dataclass(frozen=True)
class TextFeatures:
    """Per-text data verification needs; cached so a text is parsed once."""

    toks: tuple[str, ...]
    n_substantive: int  # sentences with >= SENT_MIN_WORDS content words
    sent_lens: tuple[tuple[int, bool], ...]  # (tokens, substantive?) per sentence, in order
    norm: str
    cover_shingles: frozenset[str]
    content: frozenset[str]
    sents: tuple[frozenset[str], ...]  # content-word sets of eligible sentences
    cover_seq: tuple[str, ...] = ()  # the COVER_K-word passages in text order


# Texts whose tokens were made where they were fingerprinted (Fingerprinted.verify_tokens,
# in the worker processes): the store names them for the time of a batch (tokens_given).
_given: dict[str, tuple[str, tuple[str, ...]]] = {}


@contextmanager
def tokens_given(given: Mapping[str, tuple[str, tuple[str, ...]]]) -> Iterator[None]:
    """For the time of a block, ``features`` takes these texts' language and sentence
    tokens as given (mediawatch.fingerprint.verify_tokens) instead of tokenising them:
    the store's serial part no longer tokenises the batch's texts again."""
    _given.update(given)
    try:
        yield
    finally:
        for text in given:
            _given.pop(text, None)


@lru_cache(maxsize=4096)
def features(text: str) -> TextFeatures:
    """Parse once (each sentence tokenised once); cached because one article is verified
    against many."""
    given = _given.get(text)
    if given is not None:  # the same language and tokens, made in the worker processes
        lang = given[0]
        sent_toks = [s.split(" ") if s else [] for s in given[1]]
    else:
        lang = text_language(text)
        sent_toks = sentence_tokens(text, lang)
    toks = tuple(w for st in sent_toks for w in st)  # = tokens(text, lang), tokenised once
    sent_words = [frozenset(content_words(st, lang)) for st in sent_toks]
    seq = tuple(" ".join(toks[i : i + COVER_K]) for i in range(len(toks) - COVER_K + 1))
    return TextFeatures(
        toks=toks,
        n_substantive=sum(len(s) >= SENT_MIN_WORDS for s in sent_words),
        sent_lens=tuple(
            (len(st), len(s) >= SENT_MIN_WORDS) for st, s in zip(sent_toks, sent_words, strict=True)
        ),
        norm=" ".join(toks),  # = normalised_text(text)
        cover_shingles=frozenset(seq) if seq else frozenset(shingles(toks, COVER_K)),
        content=frozenset(content_words(toks, lang)),
        sents=tuple(s for s in sent_words if len(s) >= SENT_MIN_WORDS),
        cover_seq=seq,
    )


def coverage_mask(toks: tuple[str, ...], other: frozenset[str], k: int = COVER_K) -> list[bool]:
    """Per token: does it lie inside a k-word passage that also occurs in `other`?
    Unlike shingle containment, one substituted word costs one token, not k."""
    n = len(toks)
    if n < k:
        return [bool(n) and " ".join(toks) in other] * n
    return _mask([" ".join(toks[i : i + k]) for i in range(n - k + 1)], n, other, k)


def _mask(seq: Sequence[str], n: int, other: frozenset[str], k: int = COVER_K) -> list[bool]:
    """coverage_mask from the text's passages, already joined (TextFeatures.cover_seq)."""
    covered = [False] * n
    run = [True] * k
    for i, passage in enumerate(seq):
        if passage in other:
            covered[i : i + k] = run
    return covered


def _feature_mask(f: TextFeatures, other: frozenset[str]) -> list[bool]:
    if len(f.toks) < COVER_K:
        return coverage_mask(f.toks, other)
    return _mask(f.cover_seq, len(f.toks), other)


def coverage(toks: tuple[str, ...], other: frozenset[str], k: int = COVER_K) -> float:
    """Share of `toks` covered by passages shared with `other`."""
    mask = coverage_mask(toks, other, k)
    return sum(mask) / len(mask) if mask else 0.0


def _share(mask: list[bool]) -> float:
    return sum(mask) / len(mask) if mask else 0.0


def covered_sentences(f: TextFeatures, mask: list[bool]) -> int:
    """Substantive sentences of f (>= SENT_MIN_WORDS content words; not
    copyright/share lines) with at least half of their tokens covered."""
    n, pos = 0, 0
    for length, substantive in f.sent_lens:
        part = mask[pos : pos + length]
        n += substantive and bool(part) and 2 * sum(part) >= len(part)
        pos += length
    return n


def _sentences_match(x: frozenset[str], y: frozenset[str]) -> bool:
    """Content-word Dice plus a floor on shared words, so two short sentences
    sharing only a name and a place do not count as a paraphrase."""
    shared = len(x & y)
    return (
        shared >= THRESHOLDS["sentence_match_shared"]
        and 2 * shared / (len(x) + len(y)) >= THRESHOLDS["sentence_match_dice"]
    )


def sentence_alignment(
    short: tuple[frozenset[str], ...], long: tuple[frozenset[str], ...]
) -> tuple[float, int]:
    """In-order alignment (LCS over matching sentences) of `short` into `long`.
    Returns (share of short's content words in aligned sentences, #aligned):
    a paraphrase keeps order and most sentences, independent coverage does not.

    The best chain of matching pairs (increasing in both texts; weight, then count) is
    found over the matching pairs only: a word index proposes the pairs that share
    words, and a Fenwick tree of prefix maxima extends chains, so the cost follows the
    pairs that match rather than every pair of sentences."""
    n, m = len(short), len(long)
    if n == 0 or m == 0:
        return 0.0, 0
    need, dice = THRESHOLDS["sentence_match_shared"], THRESHOLDS["sentence_match_dice"]
    postings: dict[str, list[int]] = {}
    for j, y in enumerate(long):
        for w in y:
            postings.setdefault(w, []).append(j)
    tree = [(0, 0)] * (m + 1)  # 1-based: best (weight, count) of chains ending at or before j

    def best_before(j: int) -> tuple[int, int]:
        best = (0, 0)
        while j > 0:
            if tree[j] > best:
                best = tree[j]
            j -= j & -j
        return best

    for x in short:
        shared: dict[int, int] = {}
        for w in x:
            for j in postings.get(w, ()):
                shared[j] = shared.get(j, 0) + 1
        nx = len(x)
        # every extension of this sentence reads the chains of earlier sentences only
        grown = [
            (j + 1, best_before(j))
            for j, c in shared.items()
            if c >= need and 2 * c / (nx + len(long[j])) >= dice
        ]
        for pos, (w, k) in grown:
            value = (w + nx, k + 1)
            while pos <= m:
                if value > tree[pos]:
                    tree[pos] = value
                pos += pos & -pos
    weight, count = best_before(m)
    total = sum(len(s) for s in short)
    return weight / total, count


def _scores(fa: TextFeatures, fb: TextFeatures) -> dict[str, float]:
    sa, sb = fa.cover_shingles, fb.cover_shingles
    a_short = len(fa.toks) <= len(fb.toks)
    fs, fl = (fa, fb) if a_short else (fb, fa)
    union = len(sa | sb)
    cs, cl = fs.content, fl.content
    ss, sl = (fs.sents, fl.sents) if len(fs.sents) <= len(fl.sents) else (fl.sents, fs.sents)
    align, aligned = sentence_alignment(ss, sl)
    mask = _feature_mask(fs, fl.cover_shingles)
    return {
        "tokens_a": float(len(fa.toks)),
        "tokens_b": float(len(fb.toks)),
        "a_is_shorter": float(a_short),
        "length_ratio": len(fs.toks) / max(1, len(fl.toks)),
        "shingle_jaccard": len(sa & sb) / union if union else 0.0,
        "shingle_containment": len(sa & sb) / max(1, min(len(sa), len(sb))),
        "coverage_shorter": sum(mask) / max(1, len(mask)),
        "covered_tokens": float(sum(mask)),
        "covered_sentences": float(covered_sentences(fs, mask)),
        "coverage_longer": _share(_feature_mask(fl, fs.cover_shingles)),
        "word_jaccard": len(cs & cl) / max(1, len(cs | cl)),
        "word_containment": len(cs & cl) / max(1, min(len(cs), len(cl))),
        "sentence_alignment": align,
        "aligned_sentences": float(aligned),
        "sentences_shorter": float(len(ss)),
        "substantive_sentences_shorter": float(fs.n_substantive),
    }


def verify_features(fa: TextFeatures, fb: TextFeatures) -> DupDecision:
    """Decision rules, strongest relation first (see THRESHOLDS)."""
    t = dict(THRESHOLDS)  # a snapshot: the record must not change if constants do
    sizes = {"tokens_a": float(len(fa.toks)), "tokens_b": float(len(fb.toks))}
    if fa.norm == fb.norm and min(len(fa.toks), len(fb.toks)) >= t["min_exact_tokens"]:
        return DupDecision("exact", sizes, t, None, "identical normalised text")
    fs, fl = (fa, fb) if len(fa.toks) <= len(fb.toks) else (fb, fa)
    floor = length_floor(len(fs.toks), len(fl.toks), fs.n_substantive)
    if floor:
        return DupDecision(None, sizes, t, None, f"too short to claim: {floor}")
    s = _scores(fa, fb)
    contained = s["length_ratio"] < t["containment_report_ratio"]
    which = "first" if s["a_is_shorter"] else "second"
    copied = s["coverage_shorter"] >= t["near_copy_coverage"]
    if (
        copied
        and s["covered_sentences"] < 2
        and s["covered_tokens"] < t["min_single_sentence_tokens"]
    ):
        return DupDecision(
            None,
            s,
            t,
            None,
            f"the copied text holds {s['covered_sentences']:.0f} substantive sentence(s), "
            f"{s['covered_tokens']:.0f} words "
            f"(< {t['min_single_sentence_tokens']:.0f}): a shared headline or teaser, "
            "not a copied article",
        )
    if copied:
        why = (
            f"{s['coverage_shorter']:.0%} of the shorter ({which}) text's words lie in "
            f"{COVER_K}-word passages shared with the other (>= {t['near_copy_coverage']:.0%})"
        )
        if contained:
            why += f"; the shorter text is {s['length_ratio']:.0%} as long: contained copy"
        cont = s["coverage_shorter"] if contained else None
        return DupDecision("near_copy", s, t, cont, why)
    if (
        s["sentence_alignment"] >= t["rewrite_alignment"]
        and s["aligned_sentences"] >= t["rewrite_min_aligned"]
        and s["word_containment"] >= t["rewrite_word_containment"]
    ):
        why = (
            f"{s['aligned_sentences']:.0f} of {s['sentences_shorter']:.0f} sentences have an "
            "in-order paraphrase in the other text; they hold "
            f"{s['sentence_alignment']:.0%} of their text's content words (>= "
            f"{t['rewrite_alignment']:.0%}), but only {s['coverage_shorter']:.0%} of the "
            "words are copied verbatim"
        )
        cont = s["sentence_alignment"] if contained else None
        return DupDecision("rewrite", s, t, cont, why)
    return DupDecision(
        None,
        s,
        t,
        None,
        f"copied passages cover {s['coverage_shorter']:.0%} (< "
        f"{t['near_copy_coverage']:.0%}) and {_aligned(s)}: independent or merely related texts",
    )


def _aligned(s: dict[str, float]) -> str:
    """How many sentences align, and their share of content words: two measures, each
    named (a count of sentences is not a share of words)."""
    n = int(s["aligned_sentences"])
    if n == 0:
        return "no sentences align"
    what = "sentence aligns (holding" if n == 1 else "sentences align (holding"
    return f"{n} {what} {s['sentence_alignment']:.0%} of the content words of their text)"


def strip_furniture(text: str, furniture: Collection[str]) -> tuple[str, int]:
    """Drop lines whose normalised form is known page furniture (newsletter
    prompts, copyright lines...); returns (text, number of lines dropped)."""
    if not furniture:
        return text, 0
    lines = keyed_lines(text)
    kept = [ln for key, ln in lines if key not in furniture]
    return "\n".join(kept), len(lines) - len(kept)


def verify(text_a: str, text_b: str, furniture: Collection[str] = ()) -> DupDecision:
    """Verify one candidate pair from raw texts.  `furniture` holds normalised
    lines (see line_key) to ignore: shared boilerplate is no evidence of copying; nor
    is a shared cookie or consent notice or a syndication disclaimer."""
    fa, fb = features(text_a), features(text_b)
    if fa.norm == fb.norm:
        # identical texts: a copy, unless they are identical by a notice or disclaimer
        # alone (two headlines of a network whose article did not come through)
        ta, ca = strip_notices(text_a)
        if not ca:
            return verify_features(fa, fb)
        (tb, cb), na, nb = (ta, ca), 0, 0
    else:
        (ta, na), (tb, nb) = strip_furniture(text_a, furniture), strip_furniture(text_b, furniture)
        (ta, ca), (tb, cb) = strip_notices(ta), strip_notices(tb)
    if not (na or nb or ca or cb):
        return verify_features(fa, fb)
    sa, sb = features(ta), features(tb)
    d = verify_features(sa, sb)
    short = sa if len(sa.toks) <= len(sb.toks) else sb
    floor = length_floor(len(short.toks), max(len(sa.toks), len(sb.toks)), short.n_substantive)
    if d.relation == "exact" and floor:
        # identical once furniture is set aside (or identical by a notice alone): what is
        # left must be long enough for a copy claim, as for any near copy
        d = DupDecision(None, d.scores, d.thresholds, None, f"too short to claim: {floor}")
    scores = dict(d.scores)
    ignored = []
    if na or nb:
        scores |= {"furniture_lines_a": float(na), "furniture_lines_b": float(nb)}
        ignored.append(f"{na}+{nb} page-furniture lines")
    if ca or cb:
        scores |= {"notice_sentences_a": float(ca), "notice_sentences_b": float(cb)}
        ignored.append(f"{ca}+{cb} cookie/consent-notice or disclaimer sentences")
    why = f"{d.reason} (ignoring {' and '.join(ignored)})"
    return DupDecision(d.relation, scores, d.thresholds, d.containment, why)


@dataclass(frozen=True)
class Passage:
    """A word-level passage shared by both texts (normalised tokens)."""

    text: str
    start_a: int
    start_b: int
    n_words: int


def longest_shared_passages(a: str, b: str, k: int = 5, min_words: int = 3) -> list[Passage]:
    """The k longest non-overlapping word passages common to a and b, longest
    first; found from min_words-gram seeds, so cost ~ O(len(a) + matches)."""
    ta, tb = tokens(a), tokens(b)
    if len(ta) < min_words or len(tb) < min_words:
        return []
    index: dict[tuple[str, ...], list[int]] = {}
    for j in range(len(tb) - min_words + 1):
        index.setdefault(tuple(tb[j : j + min_words]), []).append(j)
    runs: list[tuple[int, int, int]] = []  # (length, i, j) of maximal runs
    for i in range(len(ta) - min_words + 1):
        for j in index.get(tuple(ta[i : i + min_words]), ()):
            if i and j and ta[i - 1] == tb[j - 1]:
                continue  # not the start of a maximal run
            n = min_words
            while i + n < len(ta) and j + n < len(tb) and ta[i + n] == tb[j + n]:
                n += 1
            runs.append((n, i, j))
    runs.sort(key=lambda r: (-r[0], r[1], r[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out: list[Passage] = []
    for n, i, j in runs:
        if len(out) >= k:
            break
        ra, rb = range(i, i + n), range(j, j + n)
        if used_a.intersection(ra) or used_b.intersection(rb):
            continue
        used_a.update(ra)
        used_b.update(rb)
        out.append(Passage(" ".join(ta[i : i + n]), i, j, n))
    return out
