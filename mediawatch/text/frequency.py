"""How common a word is in its language at large, not only in the archive at hand.

An archive's own counts say how rare a word is among the articles seen so far. A young
archive, or one that happens to hold a single article on trade, cannot tell "trade",
"company" or "president" (common in any newspaper) from "tariff", "layoffs" or "plague"
(words of a few events): by its counts all are rare. The word frequencies of wordfreq
(Speer et al., many sources per language; data CC BY-SA 4.0, inside its wheel) say how
common each word is in general use, on the Zipf scale: log10 of its uses per billion
words, 7 for "the", 5 for "trade" or "president", 3.5 for "tariff", under 3 for "duvet".

``commonness`` turns that into a share from 0 (as rare as COMMON_FROM or rarer) to 1
(VERY_COMMON or more); the story clusterer discounts a lead word's rarity by it. In a
language without a list (or not known), every word counts as UNLISTED: the typical
discount, so that the lead gate there is as strict as it was with the archive alone.
"""

from __future__ import annotations

from functools import cache

from mediawatch.text.normalise import normalise

COMMON_FROM = 4.0  # Zipf: about ten uses per million words ("moon", "keyboard", "guess")
VERY_COMMON = 6.0  # Zipf: a thousand per million ("year", "people", "said")

# The discount of a word in a language without a list: what the lead words two reports
# of one event share are discounted by in all (median 0.73 over the ECB+ and stream pairs
# of one event), so the gate (Params.lead_min 1.2) is as strict as 1.5 was without lists.
UNLISTED = 0.2

# mediawatch language codes whose wordfreq list goes by another name.
_ALIASES = {"no": "nb", "hr": "sh", "sr": "sh", "bs": "sh", "tl": "fil"}


@cache
def _listed() -> frozenset[str]:
    from wordfreq import available_languages

    return frozenset(available_languages("best"))


def listed(language: str | None) -> bool:
    """Does wordfreq have a list for this language?"""
    if not language:
        return False
    return _ALIASES.get(language, language) in _listed()


@cache
def _table(language: str) -> dict[str, float]:
    """The language's common words (Zipf COMMON_FROM and up), empty for a language
    without a list. Read once per process from wordfreq's list by frequency band (one
    band a centibel, most frequent first), only as far as COMMON_FROM: about 0.15 s of
    CPU and a few thousand words, where the whole list is hundreds of thousands."""
    from wordfreq import get_frequency_list

    if not listed(language):
        return {}
    out: dict[str, float] = {}
    bands = get_frequency_list(_ALIASES.get(language, language), "best")
    for band, words in enumerate(bands[: int((9 - COMMON_FROM) * 100) + 1]):
        z = 9 - band / 100  # band b holds the words of frequency 10 ** (-b / 100)
        for w in words:  # keyed as mediawatch normalises words (Arabic letter variants ...)
            key = normalise(w)
            out[key] = max(out.get(key, 0.0), z)
    return out


def zipf(word: str, language: str | None) -> float:
    """The word's Zipf frequency in the language, 0 for a word under COMMON_FROM or a
    language without a list (``word``: normalised, as ``mediawatch.text.normalise``)."""
    if not language:
        return 0.0
    return _table(language).get(word, 0.0)


def commonness(word: str, language: str | None) -> float:
    """0 for a word no more common than COMMON_FROM, 1 from VERY_COMMON, linear between;
    UNLISTED for every word of a language without a list, or of an unknown one."""
    if not listed(language):
        return UNLISTED
    z = zipf(word, language)
    if z <= COMMON_FROM:
        return 0.0
    return min(1.0, (z - COMMON_FROM) / (VERY_COMMON - COMMON_FROM))
