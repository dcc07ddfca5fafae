"""Text from the outside world as one plain line for a terminal.

Titles, sources, URLs and texts come from pages anyone can write: escape sequences
(an OSC 8 link, ``ESC[2J``), lone control characters (a carriage return that hides
what came before) and direction overrides are removed here, and the watch and
article views print the result as Rich ``Text`` (never parsed as markup). The same
rules as mediawatch.safe_text (issue 14), kept local so the views do not depend on it.
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|$)
    | \x1b [\x20-\x2f]* [\x30-\x7e]?
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def plain(text: object, width: int | None = None, *, multiline: bool = False) -> str:
    """``text`` without escape sequences, control characters or direction controls; one
    line (spaces for breaks and tabs) unless ``multiline``; cut to ``width`` with "…"."""
    if text is None:
        return ""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    s = _BIDI.sub("", _CONTROLS.sub("\ufffd", _ESCAPES.sub("", s.replace("\t", " "))))
    if not multiline:
        s = " ".join(s.split())
    if width is not None and len(s) > width:
        s = s[: width - 1] + "…"
    return s
