"""Word tokens by script.

Space-delimited scripts: a word is a letter or digit followed by letters, digits and
combining marks (Python's ``\\w`` alone splits words at the vowel signs of Arabic,
Hindi or Thai). Scripts written without spaces are segmented: Chinese with a
dictionary segmenter (rjieba), Japanese, Thai, Lao, Khmer and Myanmar with ICU's word
breaks. Korean is written with spaces; its words are kept whole (``lexicon`` adds
character bigrams where that helps).
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from mediawatch.text.normalise import normalise

_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}\p{M}]*")
# The same words as _TOKEN for text without combining marks, with the faster re module.
_PLAIN_TOKEN = re.compile(r"[^\W_]+")
# Combining marks (and the scripts that use them): text with any goes through _TOKEN.
MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u0900-\u0dff\u0e31-\u0eff"
    "\u0f18-\u0fbc\u1000-\u109f\u1780-\u17ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
    "\u302a-\u302f\u3099\u309a\ufe20-\ufe2f]"
)
# Scripts that need a segmenter: Han, kana, Thai, Lao, Myanmar, Khmer.
UNSPACED = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ICU_SCRIPTS = (
    (re.compile("[\u0e00-\u0e7f]"), "th"),
    (re.compile("[\u0e80-\u0eff]"), "lo"),
    (re.compile("[\u1780-\u17ff]"), "km"),
    (re.compile("[\u1000-\u109f]"), "my"),
)

# Languages that write elided articles and prepositions onto the next word with an
# apostrophe: l'Assemblée, d'après, dell'Unione, l'Italia.
ELIDING = frozenset({"fr", "it", "ca", "oc", "lb", "wa", "co", "fur", "lij", "sc"})
_ELIDED = regex.compile(r"^\p{L}{1,5}'(?=\p{L}{2})")
_ELISION_GAP = regex.compile(r"(?<!\p{L})(\p{L}{1,5})['\u2019\u02bc](?=\p{L}{2})")


def split_clitic(word: str, language: str | None) -> str:
    """A written word without the elided article before its apostrophe, in a language
    that elides ("l'Assemblée" -> "Assemblée", "dell'Unione" -> "Unione"); otherwise
    unchanged (O'Brien, don't). The apostrophe must already be "'"."""
    if "'" in word and language in ELIDING:
        return _ELIDED.sub("", word)
    return word


SCRIPT_RANGES: tuple[tuple[str, str], ...] = (
    ("hani", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"),
    ("kana", "\u3040-\u30ff\u31f0-\u31ff"),
    ("hang", "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"),
    ("thai", "\u0e00-\u0e7f"),
    ("laoo", "\u0e80-\u0eff"),
    ("khmr", "\u1780-\u17ff"),
    ("mymr", "\u1000-\u109f"),
    ("arab", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"),
    ("hebr", "\u0590-\u05ff"),
    ("cyrl", "\u0400-\u04ff\u0500-\u052f"),
    ("grek", "\u0370-\u03ff"),
    ("deva", "\u0900-\u097f"),
    ("latn", "A-Za-z\u00c0-\u024f\u1e00-\u1eff"),
)
_SCRIPT_RES = tuple((name, re.compile(f"[{chars}]")) for name, chars in SCRIPT_RANGES)
# Scripts without letter case: names there cannot be told by a capital.
CASELESS = frozenset(
    {"hani", "kana", "hang", "thai", "laoo", "khmr", "mymr", "arab", "hebr", "deva"}
)


def script_of(word: str) -> str:
    """The script of a word (its first letter that has a known script), else "zyyy"."""
    for ch in word:
        if ch.isalpha():
            for name, rx in _SCRIPT_RES:
                if rx.match(ch):
                    return name
            return "zyyy"
    return "zyyy"


@lru_cache(maxsize=1)
def _jieba() -> object:
    import rjieba  # loads its dictionary (~0.25 s): only for texts with Han characters

    return rjieba


def _icu(word: str, locale: str) -> list[str]:
    from icu4py.breakers import WordBreaker

    return [w for w in WordBreaker(word, locale) if _TOKEN.match(w)]


def segment_word(word: str, language: str | None = None) -> list[str]:
    """Split one run of an unspaced script into words."""
    if _KANA.search(word) or (language == "ja" and _HAN.search(word)):
        return _icu(word, "ja")
    if _HAN.search(word):
        return [w for w in _jieba().cut(word) if _TOKEN.match(w)]  # type: ignore[attr-defined]
    for rx, locale in _ICU_SCRIPTS:
        if rx.search(word):
            return _icu(word, locale)
    return [word]


def split_normalised(text: str, language: str | None = None) -> list[str]:
    """``tokens`` of a text that is normalised already."""
    if text.isascii():
        return _PLAIN_TOKEN.findall(text)
    toks = (_TOKEN if MARKS.search(text) else _PLAIN_TOKEN).findall(text)
    if not UNSPACED.search(text):
        return toks
    out: list[str] = []
    for t in toks:
        if UNSPACED.search(t):
            out.extend(segment_word(t, language))
        else:
            out.append(t)
    return out


def tokens(text: str, language: str | None = None) -> list[str]:
    """Word tokens of the normalised text; punctuation and whitespace vanish.

    ``language`` matters for Han characters: Japanese (ICU) or Chinese (rjieba); without
    it, Han text with kana is Japanese and Han text alone is Chinese. In a language that
    elides (French, Italian, Catalan), "l'Assemblée" is two words, so search finds
    "Assemblée"; elsewhere an apostrophe inside a word goes ("China's" -> "chinas").
    """
    if language in ELIDING and ("'" in text or "\u2019" in text):
        text = _ELISION_GAP.sub(r"\1 ", text)  # l'Assemblée -> l Assemblée
    return split_normalised(normalise(text), language)


def word_count(text: str) -> int:
    """Words as a reader counts them: whitespace-separated words, and within a run of a
    script written without spaces (Chinese, Japanese, Thai...) the words ``tokens``
    segments it into; splitting at spaces alone makes a Chinese paragraph one word.

    Text without such scripts counts exactly as ``str.split`` does. A pure function of
    the text (kana anywhere make Han runs Japanese, as ``tokens`` guesses without a
    language), so the minimum-length check and the stored count always agree.
    """
    if not UNSPACED.search(text):
        return len(text.split())
    language = "ja" if _KANA.search(text) else None
    return sum(
        len(tokens(chunk, language)) if UNSPACED.search(chunk) else 1 for chunk in text.split()
    )


# Part-of-speech tags of the Chinese segmenter that mark proper nouns: person names
# (nr, nrfg, nrt), places (ns), organisations (nt), other proper nouns (nz).
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz"})


def segment_tagged(word: str, language: str | None = None) -> list[tuple[str, bool]]:
    """``segment_word`` with a flag per word: is it a proper noun? Only the Chinese
    segmenter tags words; elsewhere every flag is False."""
    if _HAN.search(word) and not _KANA.search(word) and language != "ja":
        return [
            (w, tag in _NAME_TAGS)
            for w, tag in _jieba().tag(word)  # type: ignore[attr-defined]
            if _TOKEN.match(w)
        ]
    return [(w, False) for w in segment_word(word, language)]
