"""Language identification per article.

CLD2 (pycld2: a small C library with its model compiled in, no download) reads the
text; a declared language (``<html lang>``, a feed's language) is passed as a hint
only, since sites declare their template's language, not the article's. When CLD2 is
unsure (short texts), the script decides where it can (Han -> zh, kana -> ja, ...),
then the hint, else ``und``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from mediawatch.text.segment import UNSPACED

UNDETERMINED = "und"
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
MIN_LETTERS = 20  # below this many letters a text is too short to tell its language
_SAMPLE_CHARS = 4000  # enough for CLD2; it costs about 0.1 ms per 1,000 characters
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A script that says the language by itself, when the identifier is unsure.
_SCRIPT_LANGUAGE = {
    "hani": "zh",
    "kana": "ja",
    "hang": "ko",
    "thai": "th",
    "arab": "ar",
    "hebr": "he",
    "grek": "el",
    "khmr": "km",
    "laoo": "lo",
    "mymr": "my",
}


@dataclass(frozen=True)
class Language:
    """An ISO 639-1 code (or ``und``) and how sure the identification is (0..1)."""

    code: str
    confidence: float


def _cld2_code(code: str) -> str:
    code = code.lower()
    if code.startswith("zh"):
        return "zh"  # zh-Hant and zh: one language for matching
    if code in ("iw",):
        return "he"
    if code in ("un", "xxx", ""):
        return UNDETERMINED
    return code.split("-")[0]


def _known(code: str) -> bool:
    """A language the text analysis has data for (a declared "xx" is no language)."""
    import stopwordsiso

    from mediawatch.text.lexicon import SNOWBALL

    return code in SNOWBALL or code in stopwordsiso.langs() or code in _SCRIPT_LANGUAGE.values()


def _script_guess(text: str) -> str | None:
    from mediawatch.text.segment import script_of

    counts: Counter[str] = Counter()
    for word in text[:_SAMPLE_CHARS].split():
        counts[script_of(word)] += len(word)
    counts.pop("zyyy", None)
    if not counts:
        return None
    script = counts.most_common(1)[0][0]
    if script == "hani" and counts.get("kana"):
        return "ja"
    return _SCRIPT_LANGUAGE.get(script)


def detect_language(text: str, hint: str | None = None) -> Language:
    """The language of ``text``; ``hint`` (a declared language) only breaks doubt."""
    import pycld2

    hint_code = (hint or "").strip().lower().replace("_", "-").split("-")[0] or None
    sample = _CONTROL.sub(" ", text[:_SAMPLE_CHARS])
    data = sample.encode("utf-8", "ignore")
    reliable, details = False, ()
    # Two or three words: CLD2 still names a language, even "reliably" (Interlingue for
    # "numeric url"); too short to tell, so it is not asked, and only the script or the
    # hint decides (a few Han or kana characters say a lot: CLD2 is asked then).
    too_short = (
        len(sample) < 4 * MIN_LETTERS
        and sum(c.isalpha() for c in sample) < MIN_LETTERS
        and not UNSPACED.search(sample)
    )
    for kwargs in ({"hintLanguage": hint_code} if hint_code else None, {}):
        if kwargs is None or too_short:
            continue
        try:
            reliable, _, details = pycld2.detect(data, bestEffort=True, **kwargs)
            break
        except pycld2.error:  # a hint CLD2 does not know, or malformed input
            continue
    top = details[0] if details else ("Unknown", "un", 0, 0.0)
    code = _cld2_code(top[1])
    if code == "ja" and not _KANA.search(sample):
        code = "zh"  # Han characters without kana: Japanese is almost never written so
    if code != UNDETERMINED and reliable:
        return Language(code, round(min(1.0, top[2] / 100), 2))
    guess = _script_guess(text)
    if guess:
        return Language(guess, 0.5)
    if code != UNDETERMINED:
        return Language(code, round(min(1.0, top[2] / 100) * 0.5, 2))
    if hint_code and _known(hint_code):
        return Language(hint_code, 0.25)
    return Language(UNDETERMINED, 0.0)


def language_name(code: str | None) -> str:
    """A person's name for a language code ("German (de)"), the code alone if unknown."""
    import pycld2

    if not code or code == UNDETERMINED:
        return "an unknown language"
    names = {c: n for n, c in pycld2.LANGUAGES}
    name = names.get(code)
    return f"{name.capitalize()} ({code})" if name else code
