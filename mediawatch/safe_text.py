"""Text from the outside world made safe to show in a terminal or a plain-text file.

Titles, sources, URLs, snippets and texts come from feeds and pages anyone can write.
In a terminal they could carry escape sequences (an OSC 8 hyperlink, an OSC 52
clipboard write, ``ESC[2J`` clearing the screen), lone control characters (a carriage
return that overwrites what came before, C1 controls that some terminals obey as
escapes) and Unicode direction overrides that reorder what a reader sees. ``plain``
removes the escape sequences whole, shows other control characters as U+FFFD, and
drops the explicit direction controls, so what is printed is the text and only the
text. Rich markup is a separate matter: render.py never lets outside text be parsed
as markup (its console has markup off and builds ``Text`` objects).
"""

from __future__ import annotations

import re

# ESC-introduced sequences, whole: CSI (ESC [ ... final byte), OSC / DCS / SOS / PM /
# APC strings up to their terminator (BEL or ESC \\, or the end of the text), and
# two-character escapes. The 8-bit forms (C1 CSI U+009B, OSC U+009D, ...) likewise.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?          # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, ...
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                                 # other escapes
    """,
    re.VERBOSE | re.DOTALL,
)
# Lone controls left after the sequences: C0 (but tab and newline), DEL and C1.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Explicit direction embeddings, overrides and isolates (LRE..RLO, LRI..PDI): they
# reorder the text around them ("Trojan Source"); the marks LRM/RLM/ALM are harmless.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
REPLACEMENT = "\ufffd"


def plain(text: object, *, multiline: bool = False) -> str:
    """``text`` without escape sequences, control characters or direction controls.
    Tabs and line breaks become spaces unless ``multiline`` (then a CR LF or a lone CR
    is a line break and tabs stay)."""
    if text is None:
        return ""
    s = str(text)
    if multiline:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    else:
        s = s.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    s = _ESCAPES.sub("", s)
    s = _CONTROLS.sub(REPLACEMENT, s)
    return _BIDI.sub("", s)


def text_only(text: object) -> str:
    """``text`` for markup that holds text only and so cannot isolate it (an HTML
    <title>, an <option>, SVG text): direction controls and control characters dropped."""
    return _CONTROLS.sub("", _BIDI.sub("", "" if text is None else str(text)))


def is_plain(text: str) -> bool:
    """True when ``plain`` would leave a one-line text as it is."""
    return plain(text) == text


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a text starting like a formula gets a
    leading apostrophe (OWASP's advice); numbers, dates and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}\u2028\u2029]")


def json_for_terminal(text: str) -> str:
    """JSON text (from json.dumps) with C1 controls, DEL, direction controls and line
    separators written as \\u escapes: the same JSON values, nothing a terminal obeys.
    (json.dumps escapes C0 controls itself; these can only stand inside strings.)"""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
