"""Two versions of an article, sentence by sentence, with the shared passages marked.

Sentences are aligned in order: identical ones first (difflib), then, between
them, the most similar pairs (content-word overlap, as a rewrite keeps its
content words) as *changed*; the rest were *removed* from the first text or
*added* in the second. Independently of the alignment, every word that lies in
a passage of at least ``COVER_K`` words also found in the other text is marked:
the same evidence ``verify`` counts for a near copy.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from mediawatch.fingerprint import content_words, sentences, shingles, text_language
from mediawatch.match.verify import COVER_K, coverage_mask
from mediawatch.spans import Segment, WordSpan, segments, word_spans

RowKind = Literal["same", "changed", "removed", "added"]
MATCH_SIMILARITY = 0.5  # content-word Dice for two sentences to count as one, changed
MAX_ALIGN_CELLS = 40_000  # beyond this, a gap is shown as removed + added (no pairing)


@dataclass(frozen=True)
class Sentence:
    index: int  # position in its text
    text: str
    segments: list[Segment]  # marked = inside a passage shared with the other text
    tokens: tuple[str, ...] = field(repr=False, default=())
    shared_tokens: int = 0  # of its tokens, those inside shared passages
    language: str | None = None  # of the whole text: stems and stopwords of the sentence


@dataclass(frozen=True)
class DiffRow:
    kind: RowKind
    left: Sentence | None
    right: Sentence | None
    similarity: float | None = None  # for changed pairs


@dataclass(frozen=True)
class TextDiff:
    rows: list[DiffRow]
    shared_a: float  # share of the first text's words inside shared passages
    shared_b: float
    words_a: int
    words_b: int
    languages: tuple[str | None, str | None] = (None, None)  # of the texts, as analysed

    @property
    def language_note(self) -> str | None:
        """Why two texts in different languages share no passage, when they are."""
        from mediawatch.text.language import UNDETERMINED, language_name

        la, lb = self.languages
        if not la or not lb or la == lb or UNDETERMINED in (la, lb):
            return None
        return (
            f"A is in {language_name(la)} and B in {language_name(lb)}: passages are "
            "shared within one language only, so a share near 0% does not mean that they report "
            "different things (`explain` compares their names and numbers)"
        )

    def count(self, kind: RowKind) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def counts(self) -> dict[str, int]:
        return {k: self.count(k) for k in ("same", "changed", "removed", "added")}


def _split(text: str) -> list[tuple[str, list[WordSpan]]]:
    return [(s, word_spans(s)) for s in sentences(text or "")]


def _marked(parts: list[tuple[str, list[WordSpan]]], other: frozenset[str]) -> list[list[bool]]:
    """Per sentence, per token: inside a COVER_K-word passage found in ``other``?
    Computed over the whole text, so a passage may run across sentences."""
    toks = tuple(t.token for _, spans in parts for t in spans)
    mask = coverage_mask(toks, other, COVER_K) if toks else []
    out, pos = [], 0
    for _, spans in parts:
        out.append(mask[pos : pos + len(spans)])
        pos += len(spans)
    return out


def _sentences(text: str, other_text: str) -> list[Sentence]:
    parts = _split(text)
    other = frozenset(shingles([t.token for _, sp in _split(other_text) for t in sp], COVER_K))
    lang = text_language(text or "")
    return [
        Sentence(i, s, segments(s, spans, marks), tuple(t.token for t in spans), sum(marks), lang)
        for i, ((s, spans), marks) in enumerate(zip(parts, _marked(parts, other), strict=True))
    ]


def similarity(x: Sentence, y: Sentence) -> float:
    """Content-word Dice of two sentences (all words when either has none)."""
    a, b = set(content_words(x.tokens, x.language)), set(content_words(y.tokens, y.language))
    if not a or not b:
        a, b = set(x.tokens), set(y.tokens)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _pair(left: list[Sentence], right: list[Sentence]) -> list[DiffRow]:
    """Rows for a stretch with no identical sentence: best in-order pairing."""
    n, m = len(left), len(right)
    if n == 0 or m == 0 or n * m > MAX_ALIGN_CELLS:
        return [DiffRow("removed", s, None) for s in left] + [
            DiffRow("added", None, s) for s in right
        ]
    sim = [[similarity(x, y) for y in right] for x in left]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            s = sim[i - 1][j - 1]
            take = best[i - 1][j - 1] + s if s >= MATCH_SIMILARITY else -1.0
            best[i][j] = max(best[i - 1][j], best[i][j - 1], take)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i and j:
        s = sim[i - 1][j - 1]
        if s >= MATCH_SIMILARITY and best[i][j] == best[i - 1][j - 1] + s:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif best[i][j] == best[i - 1][j]:
            i -= 1
        else:
            j -= 1
    rows: list[DiffRow] = []
    i = j = 0
    for pi, pj in reversed(pairs):
        rows += [DiffRow("removed", s, None) for s in left[i:pi]]
        rows += [DiffRow("added", None, s) for s in right[j:pj]]
        rows.append(DiffRow("changed", left[pi], right[pj], round(sim[pi][pj], 3)))
        i, j = pi + 1, pj + 1
    rows += [DiffRow("removed", s, None) for s in left[i:]]
    rows += [DiffRow("added", None, s) for s in right[j:]]
    return rows


def diff_texts(a: str, b: str) -> TextDiff:
    """Align the sentences of ``a`` (the earlier version) and ``b``."""
    left, right = _sentences(a, b), _sentences(b, a)
    keys_a = [" ".join(s.tokens) for s in left]
    keys_b = [" ".join(s.tokens) for s in right]
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [
                DiffRow("same", x, y, 1.0) for x, y in zip(left[i1:i2], right[j1:j2], strict=True)
            ]
        else:
            rows += _pair(left[i1:i2], right[j1:j2])
    words_a = sum(len(s.tokens) for s in left)
    words_b = sum(len(s.tokens) for s in right)
    return TextDiff(
        rows,
        _share(left, words_a),
        _share(right, words_b),
        words_a,
        words_b,
        # each side's language, as its sentences were analysed in (None: no sentence)
        (left[0].language if left else None, right[0].language if right else None),
    )


def _share(side: list[Sentence], words: int) -> float:
    return sum(s.shared_tokens for s in side) / words if words else 0.0
