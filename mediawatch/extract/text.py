"""Plain text and Markdown: keep the first line as the title when it looks like one."""

from __future__ import annotations

import re

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


def looks_like_title(line: str, rest: str) -> bool:
    """A short line without closing punctuation, followed by more text."""
    words = line.split()
    return (
        bool(rest.strip())
        and 1 <= len(words) <= 25
        and len(line) <= 200
        and not line.rstrip().endswith((".", ",", ";", ":"))
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
