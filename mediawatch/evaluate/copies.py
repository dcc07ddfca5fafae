"""Builders of copies of real articles, shared by the duplicate-group evaluations.

``evaluate dupes`` builds English copies line by line (edited headlines, a few words);
``evaluate pairs`` builds copies in every language of its file, so its edits work on
language-neutral units: a word between spaces, or in unspaced scripts (Chinese, Japanese)
a run of at most two characters, about the length of a word there. Nothing here looks at
how the pipeline tokenises: the copies must not be shaped to suit it.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata

OUTLETS = ["Daily Herald", "The Courier", "Metro News", "Channel 7", "The Gazette", "NewsWire"]
FILLER = ["reportedly", "local", "major", "early", "several", "officials", "recently", "large"]

# Han, kana and the CJK punctuation-free ranges: scripts written without spaces between words.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNIT = re.compile(rf"[{_UNSPACED}]{{1,2}}|[^\s{_UNSPACED}]+")


def boiler_lines(rng: random.Random, titles: list[str]) -> list[str]:
    """Page furniture a scraper may keep around a syndicated copy."""
    outlet = rng.choice(OUTLETS)

    def headline() -> str:
        words = rng.choice(titles).split()
        return " ".join(words[:14]) + (" ..." if len(words) > 14 else "")

    pool = [
        "Subscribe to our newsletter for the latest headlines.",
        f"Related: {headline()}",
        f"Read more: {headline()}",
        f"© {rng.randint(2008, 2014)} {outlet}. All rights reserved.",
        "Copyright The Associated Press. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed.",
        "Follow us on Twitter and Facebook.",
        f"This story was originally published by {outlet}.",
        "Advertisement",
        "Share this article",
    ]
    return rng.sample(pool, rng.randint(1, 3))


def units(text: str) -> list[re.Match[str]]:
    """Words between spaces; in unspaced scripts, runs of at most two characters."""
    return list(_UNIT.finditer(text))


def is_word(unit: str) -> bool:
    """Letters and digits (with their combining marks) only: no punctuation attached."""
    return bool(unit) and all(
        ch.isalnum() or unicodedata.category(ch).startswith("M") for ch in unit
    )


def is_unspaced(unit: str) -> bool:
    return bool(re.match(rf"[{_UNSPACED}]", unit))


def edit_units(rng: random.Random, text: str, rate: float, pool: list[str]) -> str:
    """Change ``rate`` of the units (at least one): three in five are replaced by a
    unit of the same kind drawn from ``pool`` (other texts of the language, so the edit is
    in the text's own language), the others deleted. Words with punctuation attached are
    left alone, so sentences keep their ends."""
    found = [m for m in units(text) if is_word(m[0])]
    if not found:
        return text
    spaced_pool = [u for u in pool if not is_unspaced(u)] or FILLER
    unspaced_pool = [u for u in pool if is_unspaced(u)] or spaced_pool
    n = min(len(found), max(1, round(len(units(text)) * rate)))
    chosen = sorted(rng.sample(found, n), key=lambda m: m.start())
    out, at = [], 0
    for m in chosen:
        out.append(text[at : m.start()])
        if rng.random() < 0.6:
            out.append(rng.choice(unspaced_pool if is_unspaced(m[0]) else spaced_pool))
        at = m.end()
    out.append(text[at:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out))


def truncate(text: str, share: float) -> str:
    """The text up to the end of the unit that completes ``share`` of its units."""
    found = units(text)
    if not found:
        return text
    keep = max(1, math.ceil(len(found) * share))
    return text[: found[keep - 1].end()]


def headline_of(text: str, n: int = 12) -> str:
    """The first ``n`` units, as a stand-in headline for "Related:" furniture."""
    found = units(text)
    return text[: found[min(n, len(found)) - 1].end()] if found else text
