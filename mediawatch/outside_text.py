"""Text from the outside world as plain text for a terminal, cut to a width.

mediawatch.safe_text removes escape sequences, control and direction characters; the
watch and article views print the result as Rich ``Text`` (never parsed as markup)
and want it on one line, cut with "…".
"""

from __future__ import annotations

from mediawatch.safe_text import plain as _plain


def plain(text: object, width: int | None = None, *, multiline: bool = False) -> str:
    """``text`` without escape sequences, control characters or direction controls; one
    line (spaces for breaks and tabs) unless ``multiline``; cut to ``width`` with "…"."""
    s = _plain(text, multiline=multiline)
    if not multiline:
        s = " ".join(s.split())
    if width is not None and len(s) > width:
        s = s[: width - 1] + "…"
    return s
