"""Words with their place in the original text.

Matching works on normalised tokens (``fingerprint.tokens``), but a person must
be shown the original characters: these spans tie each token to the stretch of
text it came from, so diffs and search snippets can mark passages in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from mediawatch.fingerprint import tokens

# A word as fingerprint.tokens sees it, apostrophes inside words included
# ("China's" is one token, "chinas").
_WORD = regex.compile(
    r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['\u2019\u2018\u02bc`][\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*"
)


@dataclass(frozen=True)
class WordSpan:
    start: int
    end: int
    token: str  # the normalised token, as fingerprint.tokens gives it


def word_spans(text: str) -> list[WordSpan]:
    """Every token of ``text`` with its character range; the tokens equal tokens(text)."""
    out: list[WordSpan] = []
    for m in _WORD.finditer(text):
        toks = tokens(m.group())
        if len(toks) < 2:
            out.extend(WordSpan(m.start(), m.end(), tok) for tok in toks)
            continue
        # an unspaced run (Chinese, Thai...) segmented into words: find each in turn
        low, pos = m.group().lower(), 0
        for tok in toks:
            at = low.find(tok, pos)
            if at < 0:
                out.append(WordSpan(m.start(), m.end(), tok))
                continue
            out.append(WordSpan(m.start() + at, m.start() + at + len(tok), tok))
            pos = at + len(tok)
    return out


@dataclass(frozen=True)
class Segment:
    """A stretch of original text, marked or not; templates escape ``text``."""

    text: str
    marked: bool = False


def segments(text: str, spans: list[WordSpan], marked: list[bool]) -> list[Segment]:
    """Cut ``text`` into runs of marked and unmarked words. The gap between two
    marked words belongs to the mark, so a passage reads as one highlight."""
    out: list[Segment] = []
    pos = 0
    run_start: int | None = None
    run_end = 0
    for span, is_marked in zip(spans, marked, strict=True):
        if is_marked:
            if run_start is None:
                run_start = span.start
            run_end = span.end
            continue
        if run_start is not None:
            _push(out, text[pos:run_start], False)
            _push(out, text[run_start:run_end], True)
            pos, run_start = run_end, None
    if run_start is not None:
        _push(out, text[pos:run_start], False)
        _push(out, text[run_start:run_end], True)
        pos = run_end
    _push(out, text[pos:], False)
    return out


def _push(out: list[Segment], text: str, marked: bool) -> None:
    if not text:
        return
    if out and out[-1].marked == marked:
        out[-1] = Segment(out[-1].text + text, marked)
    else:
        out.append(Segment(text, marked))
