"""Sentence splitting for every script.

Lines first (paragraphs), then sentence ends: ``. ! ?`` followed by space and a
capital, a digit or a letter of a caseless script (so "Mr. smith" style abbreviations
in cased text do not split, while Arabic or Devanagari sentences do); the full stops
of Chinese and Japanese (``。！？``, no space needed), the Arabic question mark ``؟``,
the Devanagari danda ``। ॥`` and the ellipsis followed by a new sentence.
"""

from __future__ import annotations

import regex

_SPLIT = regex.compile(
    r"(?<=[.!?…])[\"'\u201d\u00bb)\]]*\s+(?=[\"'\u201c\u00ab(\[]*[\p{Lu}\p{Lo}0-9])"
    r"|(?<=[。！？؟।॥])[\"'\u201d\u300d\u300f)\]]*\s*(?=[^\s\"'\u201d\u300d\u300f)\]])"
)


def sentences(text: str) -> list[str]:
    """Lines, split further at sentence ends: paragraphs in scraped text often hold
    several sentences, and rewrites are paraphrased sentence by sentence."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s for s in _SPLIT.split(line) if s.strip())
    return out
