"""Names (people, places, organisations) in any script, as comparable terms.

Cased scripts (Latin, Cyrillic, Greek): a capitalised word is a name when it is
capitalised mid-sentence, or opens sentences repeatedly and never appears in
lowercase; headlines and sentence starts alone prove nothing. In languages that
capitalise every noun (German, Luxembourgish) a capitalised word that follows an
article or determiner in the text is a common noun, not a name.
Caseless scripts: Chinese names come from the segmenter's part-of-speech tags
(person, place, organisation, other proper noun); elsewhere (Arabic, Hebrew, Hindi,
Thai...) a content word repeated in the text stands in for a name, since what is
repeated is what the text is about; the clusterer's IDF keeps only the rare ones.
Latin-script names inside non-Latin text are found by their capitals.
Every name is transliterated to ASCII (anyascii), so Путин, Putin and Poetin-like
spellings meet where the transliteration agrees; in languages that inflect names
(Russian, Polish, Turkish, ...) the name is stemmed first (Путина -> путин).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from mediawatch.text.lexicon import stem

# Languages whose every noun is capitalised, and their determiners.
NOUN_CAPITALISING: dict[str, frozenset[str]] = {
    "de": frozenset(
        """der die das den dem des ein eine einer einem einen eines kein keine keinen
        keinem keiner keines dieser diese dieses diesem diesen jeder jede jedes jedem
        jeden jener jene jenes sein seine seiner seinem seinen seines ihr ihre ihrer
        ihrem ihren ihres unser unsere unserer unserem unseren mein meine meinem meinen
        dein deine euer eure zum zur im am vom beim ins ans ums aufs durchs welche welcher
        welches manche mancher alle allen aller beide beiden viele vielen wenige einige
        mehrere etliche""".split()  # noqa: SIM905
    ),
    "lb": frozenset("den d' de dat déi eng en engem enger".split()),  # noqa: SIM905
}
# Languages whose names take case endings: stem a name before comparing it.
NAME_INFLECTING = frozenset("ru uk be pl cs sk sl hr sr bg tr fi hu et lt lv el ar".split())  # noqa: SIM905
_ELISION = regex.compile(r"^\p{L}{1,3}'(?=\p{L}{2})")  # l'Élysée, d'Alembert, dell'Europa
_NOT_ASCII_WORD = regex.compile(r"[^a-z0-9]+")


def strip_affixes(word: str) -> str:
    """A name without elided articles or suffixes after an apostrophe
    ("l'élysée" -> "élysée", "erdoğan'ın" -> "erdoğan", "reid's" -> "reid")."""
    if "'" not in word:
        return word
    word = _ELISION.sub("", word)
    return word.split("'", 1)[0] if "'" in word else word


@lru_cache(maxsize=1 << 16)
def name_key(word: str, language: str | None) -> str:
    """A name part as a comparable ASCII term (normalised input)."""
    from anyascii import anyascii

    w = strip_affixes(word)
    if language in NAME_INFLECTING:
        w = stem(w, language)
    if not w.isascii():
        w = anyascii(w).lower()
    w = _NOT_ASCII_WORD.sub("", w)
    # A final vowel is where languages inflect or spell a name differently (Duda, Dudy;
    # Putina; Obama, Obamy): names compare on their skeleton.
    return w[:-1] if len(w) > 4 and w[-1] in "aeiouy" else w
