"""Normalisation: the canonical form every comparison starts from."""

from __future__ import annotations

import re
import sys
import unicodedata

_QUOTES = ("\u2019", "\u2018", "\u02bc", "`")  # folded to "'"
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")


def _fold_table() -> dict[int, str | None]:
    """Digits of every script -> ASCII; Arabic vowel marks and tatweel dropped; Arabic
    letter variants (hamza forms of alef, alef maqsura, teh marbuta) folded, as Arabic
    search engines do: writers and sites vary in exactly these."""
    table: dict[int, str | None] = {}
    for cp in range(0x80, 0x20000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.digit(ch))
    for cp in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)]:
        table[cp] = None
    table[0x0640] = None  # tatweel (kashida): justification, not a letter
    for variant in "\u0622\u0623\u0625\u0671":  # آ أ إ ٱ -> ا
        table[ord(variant)] = "\u0627"
    table[0x0649] = "\u064a"  # ى -> ي
    table[0x0629] = "\u0647"  # ة -> ه
    table[0x06CC] = "\u064a"  # Persian yeh -> Arabic yeh
    table[0x06A9] = "\u0643"  # Persian keheh -> kaf
    return table


_FOLD = _fold_table()


# Characters the table changes; most texts have none, and a regex scan is far cheaper
# than str.translate with a large table.
def _char_class(codepoints: list[int]) -> str:
    """A regex character class of ranges: a class of hundreds of single characters is
    scanned one by one (30x slower on a whole article)."""
    parts, start, prev = [], None, None
    for c in [*sorted(codepoints), None]:
        if start is not None and (c is None or c != prev + 1):
            parts.append(
                re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else "")
            )
            start = None
        if c is not None and start is None:
            start = c
        prev = c
    return "[" + "".join(parts) + "]"


_NEEDS_FOLD = re.compile(_char_class([c for c in _FOLD if c < sys.maxunicode]))


def fold(text: str) -> str:
    """Digits to ASCII and Arabic variants folded (see ``_fold_table``)."""
    return text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text


def normalise(text: str) -> str:
    """NFKC + case folding + quote folding + ``fold``; apostrophes inside words are
    dropped so "China's" and "China\u2019s" both become "chinas"."""
    t = unicodedata.normalize("NFKC", text)
    if t.isascii():
        t = t.lower()
    else:
        t = t.casefold()  # ß -> ss, final sigma; lower() for ASCII is the same and cheaper
        for q in _QUOTES:  # str.replace, not str.translate: 40x faster on a whole article
            t = t.replace(q, "'")
        t = fold(t)
    return _APOSTROPHE.sub("", t) if "'" in t else t
