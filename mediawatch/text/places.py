"""Countries and major cities as one name in every language.

Transliteration lets Путин meet Putin, but not Türkei, Turquie, Турция, تركيا and 土耳其
meet Turkey: a place is translated, not spelt out. Unicode's CLDR names every country
and territory, and the exemplar city of every time zone (Toronto, Baghdad, Kathmandu,
Istanbul...), in each language; Babel ships that data inside its wheel. So a place name
found in an article is mapped to its English name's keys, and stories in different
languages meet on the places they name, as they meet on people's names.

Only whole names map: a one-word place when the name run is that one word, a
several-word place when the run is exactly its words ("Vereinigte Staaten"). What a
word means on its own in a language (Spanish "Paz" of La Paz) never becomes a place.
"""

from __future__ import annotations

from functools import lru_cache

from mediawatch.text.lexicon import stopwords
from mediawatch.text.names import name_key
from mediawatch.text.segment import tokens

# Parts of a CLDR name that are not part of the name as a text writes it.
_NOT_NAME = frozenset({"sar", "and"})
# English names that English news writes differently from CLDR's English (CLDR's
# "Türkiye", "Czechia"), and English short forms of the most named countries: what
# every other language's name must meet in English text ("US" folds to the pronoun "us",
# a stopword, so it is never a name).
ENGLISH_USAGE = {"TR": "Turkey", "CZ": "Czech Republic", "HK": "Hong Kong", "MO": "Macau"}
ENGLISH_ALIASES = {
    "USA": "United States",
    "America": "United States",
    "UK": "United Kingdom",
    "Britain": "United Kingdom",
    "Great Britain": "United Kingdom",
}


def _keys(name: str, language: str) -> tuple[str, ...]:
    """A place name as name keys, the way features.py keys a name run."""
    stop = stopwords(language)
    out = []
    for t in tokens(name, language):
        if not t[0].isalpha() or t in stop or t in _NOT_NAME:
            continue
        k = name_key(t, language)
        if k:
            out.append(k)
    return tuple(out)


@lru_cache(maxsize=64)
def gazetteer(language: str | None) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Name keys of a place in ``language`` -> the keys of its English name.

    For English, only the short forms (US, UK, Britain); empty for languages CLDR lacks.
    """
    if not language or language == "und":
        return {}
    if language == "en":
        aliases = {_keys(a, "en"): _keys(n, "en") for a, n in ENGLISH_ALIASES.items()}
        return {k: v for k, v in aliases.items() if k}
    from babel import Locale, UnknownLocaleError  # CLDR data: loaded when first needed

    try:
        local, english = Locale.parse(language.replace("-", "_")), Locale("en")
    except (UnknownLocaleError, ValueError):
        return {}
    pairs: list[tuple[str, str]] = []
    for code, name in local.territories.items():
        if code.isalpha() and code in english.territories:  # countries, not regions
            pairs.append((name, ENGLISH_USAGE.get(code) or english.territories[code]))
    for zone, names in local.time_zones.items():
        city, en_city = names.get("city"), english.time_zones.get(zone, {}).get("city")
        if city and en_city:
            pairs.append((city, en_city))
        elif city and "/" in zone and not zone.startswith("Etc/"):
            pairs.append((city, zone.rsplit("/", 1)[1].replace("_", " ")))
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for name, en_name in pairs:
        key, en_key = _keys(name, language), _keys(en_name, "en")
        if key and en_key:
            # Two places with one local name (rare): keep the first, deterministic by
            # CLDR order, rather than guess.
            out.setdefault(key, en_key)
    return out


# Languages that write a place's genitive with -s (Deutschlands, Chinas) and compound
# nouns without spaces (Libyengipfel, Irakkrieg): there a place is also found inside
# such a word.
GENITIVE_S = frozenset({"de", "nl", "sv", "da", "nb", "no", "is", "lb"})
COMPOUND_MIN_REST = 4  # letters after the place for a compound (Irakkrieg, not Iraker)
COMPOUND_MIN_PLACE = 4  # no compounds on short names (Rom: Romantik)


@lru_cache(maxsize=64)
def _countries(language: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """One-word country names (name keys) of a language, longest first, with their
    English keys: the heads a compound may start with. Countries only: a city's name
    starts too many words and first names (Bern: Bernhard)."""
    from babel import Locale, UnknownLocaleError

    try:
        local = Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return ()
    places = gazetteer(language)
    out = {}
    for code, name in local.territories.items():
        key = _keys(name, language)
        long_enough = len(key) == 1 and len(key[0]) >= COMPOUND_MIN_PLACE
        if code.isalpha() and long_enough and key in places:
            out[key[0]] = places[key]
    return tuple(sorted(out.items(), key=lambda kv: -len(kv[0])))


def _genitive(key: str, language: str) -> tuple[str, ...] | None:
    """English keys of a place written in its genitive (Deutschlands, Chinas)."""
    if not key.endswith("s") or len(key) <= 3:
        return None
    base = key[:-1]
    base = base[:-1] if len(base) > 4 and base[-1] in "aeiouy" else base
    return gazetteer(language).get((base,))


def compound_place(key: str, language: str | None) -> tuple[str, ...] | None:
    """English keys of the country a compound noun starts with (Libyengipfel, Irakkrieg:
    Libya, Iraq), in languages of ``GENITIVE_S``; None otherwise."""
    if language not in GENITIVE_S:
        return None
    for head, en in _countries(language):
        if key.startswith(head) and len(key) - len(head) >= COMPOUND_MIN_REST:
            return en
    return None


def english_keys(keys: list[str], language: str | None) -> list[str]:
    """A name run's keys, the place's English keys when the run is a known place. In
    languages of ``GENITIVE_S``, a word of the run that is a place's genitive
    (Chinas Präsident) gives the place's keys."""
    if not keys:
        return keys
    found = gazetteer(language).get(tuple(keys))
    if found is not None:
        return list(found)
    if language not in GENITIVE_S:
        return keys
    out: list[str] = []
    for k in keys:
        out.extend(_genitive(k, language) or (k,))
    return out
