"""Plain text and Markdown: keep the first line as the title when it looks like one;
an article without one gets its first sentence, shortened, as a title marked derived."""

from __future__ import annotations

import re

from mediawatch.text.sentences import sentences

DERIVED_TITLE_CHARS = 90  # a derived title's length at most, its ellipsis included

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def strip_markdown(text: str) -> str:
    """Markdown syntax is layout, not words: keep link texts, drop the markup."""
    lines = []
    for line in text.splitlines():
        line = _MD_HEADING.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        lines.append(line)
    return "\n".join(lines)


# What ends a sentence or a clause, in the scripts read: a line ending so is body text.
CLOSING = (".", ",", ";", ":", "。", "，", "；", "：", "．", "、", "،", "؛", "۔", "।", "॥", "።")


def looks_like_title(line: str, rest: str) -> bool:
    """A short line with a letter and without closing punctuation (a Chinese sentence
    ends in 。), followed by more text; a rule of dashes or stars is no title."""
    words = line.split()
    return (
        bool(rest.strip())
        and 1 <= len(words) <= 25
        and len(line) <= 200
        and any(ch.isalpha() for ch in line)
        and not line.rstrip().endswith(CLOSING)
    )


def split_title(text: str) -> tuple[str | None, str]:
    """Return (title, body); the title is None when the first line is body text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    first, _, rest = text.partition("\n")
    first = first.strip()
    if looks_like_title(first, rest):
        return first, rest.strip()
    return None, text


def normalise_paragraphs(text: str) -> str:
    """One paragraph per line, no runs of blank lines or trailing spaces."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text)]
    return "\n".join(p for p in paragraphs if p)


# A dateline before the first sentence: "Amsterdam [Netherlands], April 28 : ...",
# "LONDON (Reuters) - ...": a place and a date or an agency, then a colon or a dash.
_DATELINE = re.compile(r"^(?P<line>[^.!?:]{2,60}?)\s*(?::|--|[-–—](?=\s))\s+(?=\S)")


def _without_dateline(sentence: str) -> str:
    m = _DATELINE.match(sentence)
    if not m:
        return sentence
    line = m["line"]
    letters = [c for c in line if c.isalpha()]
    dated = any(c.isdigit() for c in line) or "(" in line or "[" in line
    shouting = bool(letters) and all(c.isupper() for c in letters)
    rest = sentence[m.end() :]
    return rest if (dated or shouting) and len(rest.split()) >= 3 else sentence


def derive_title(text: str, limit: int = DERIVED_TITLE_CHARS) -> str | None:
    """A title for an article that has none: its first sentence (after a dateline),
    cut at a word boundary with an ellipsis when longer than ``limit`` characters."""
    # the first sentence with a letter: a rule of dashes or stars says nothing
    first = next((s.strip() for s in sentences(text) if any(c.isalpha() for c in s)), "")
    if not first:
        return None
    title = " ".join(_without_dateline(first).split()).rstrip(" .;:,")
    if len(title) <= limit:
        return title or None
    cut = title[: limit - 1]
    if " " in cut and not title[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]  # a whole word, never half of one
    return cut.rstrip(" ,;:-–—") + "…"
