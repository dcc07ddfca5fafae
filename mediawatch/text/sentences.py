"""Sentence splitting for every script.

Lines first (paragraphs), then sentence ends: ``. ! ? …`` followed by space and a
capital, a digit or a letter of a caseless script (so "Mr. smith" style abbreviations
in cased text do not split, while Arabic or Devanagari sentences do); the full stops
of Chinese and Japanese (``。！？``, no space needed), the Arabic question mark ``؟``
and the Devanagari danda ``। ॥``.
"""

from __future__ import annotations

import re

# Candidate ends: the punctuation, closing quotes or brackets, then the space (consumed).
_CASED_END = re.compile(r"(?<=[.!?…])[\"'\u201d\u00bb)\]]*\s+")
_OPENERS = "\"'\u201c\u00ab(["
_UNSPACED_END = re.compile(r"(?<=[。！？؟।॥])[\"'\u201d\u300d\u300f)\]]*\s*")


def _starts_sentence(line: str, at: int) -> bool:
    """Does the text from ``at`` open a sentence: a capital, a digit or a caseless letter
    (after opening quotes or brackets)?"""
    n = len(line)
    while at < n and line[at] in _OPENERS:
        at += 1
    if at >= n:
        return False
    ch = line[at]
    return ch.isdigit() or ch.isupper() or (ch.isalpha() and not ch.islower())


def _split_line(line: str) -> list[str]:
    cuts: list[tuple[int, int]] = []
    for m in _CASED_END.finditer(line):
        if _starts_sentence(line, m.end()):
            cuts.append((m.start(), m.end()))
    if not line.isascii():
        cuts += [(m.start(), m.end()) for m in _UNSPACED_END.finditer(line) if m.end() < len(line)]
    if not cuts:
        return [line]
    out, pos = [], 0
    for start, end in sorted(set(cuts)):
        if start < pos:
            continue
        out.append(line[pos:start])
        pos = end
    out.append(line[pos:])
    return out


def sentences(text: str) -> list[str]:
    """Lines, split further at sentence ends: paragraphs in scraped text often hold
    several sentences, and rewrites are paraphrased sentence by sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s for s in _split_line(line) if s.strip())
    return out
