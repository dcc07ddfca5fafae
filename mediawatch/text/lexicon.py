"""Stopwords and stems per language.

Stems come from Snowball (PyStemmer: C speed, 30+ languages); languages without a
Snowball stemmer keep their words (Chinese, Japanese and Thai words do not inflect;
Korean words get their character bigrams in ``content_words``, which is what a
Korean search engine indexes when it has no morphological analyser). Stopwords come
from stopwords-iso (58 languages), normalised as tokens are; English keeps the
project's own list, which also drops the words every news report uses ("said",
"told", "according").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from mediawatch.text.normalise import normalise

# ISO 639-1 -> Snowball algorithm
SNOWBALL: dict[str, str] = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "fa": "persian", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish", "pl": "polish",
}  # fmt: skip

ENGLISH_STOPWORDS = frozenset(
    """a about above after again against all almost also although am among an and another
    any are around as at be became because been before being below between both but by can
    could did do does doing down during each either else ever every few for from further had
    has have having he her here hers herself him himself his how however i if in into is it
    its itself just least less like many may me might more most much must my myself near
    neither no nor not now of off often on once one only or other others our ours ourselves
    out over own per perhaps rather same several she should since so some such than that the
    their theirs them themselves then there these they this those though through thus to too
    toward towards under until up upon us very via was we were what whatever when where
    whether which while who whom whose why will with within without would yet you your yours
    yourself yourselves said says say saying told tell according new news mr mrs ms dr jr sr
    two s t""".split()  # noqa: SIM905 - a word list reads better
)


@lru_cache(maxsize=64)
def stopwords(language: str | None) -> frozenset[str]:
    """Function words of ``language`` (normalised); an unknown language has none."""
    if language == "en":
        return ENGLISH_STOPWORDS
    if not language:
        return frozenset()
    import stopwordsiso

    try:
        words = stopwordsiso.stopwords(language)
    except (KeyError, ValueError):  # a language stopwords-iso does not list
        return frozenset()
    return frozenset(normalise(w) for w in words)


@lru_cache(maxsize=64)
def _stemmer(language: str | None) -> object | None:
    algorithm = SNOWBALL.get(language or "")
    if algorithm is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(algorithm, 10_000)  # PyStemmer's own cache


_CACHE_LIMIT = 200_000  # words per language; a cache that outgrows it starts again
_stem_cache: dict[str, dict[str, str]] = {}


def stem(word: str, language: str | None) -> str:
    """The Snowball stem of a normalised word, or the word itself."""
    s = _stemmer(language)
    return s.stemWord(word) if s is not None else word  # type: ignore[attr-defined]


def stems(words: Sequence[str], language: str | None) -> list[str]:
    """Stems of many words: a plain dict in front of Snowball (a call into the stemmer
    costs 30x a lookup, and news repeats its words)."""
    s = _stemmer(language)
    if s is None:
        return list(words)
    cache = _stem_cache.get(language or "")
    if cache is None or len(cache) > _CACHE_LIMIT:
        cache = _stem_cache[language or ""] = {}
    out = []
    for w in words:
        st = cache.get(w)
        if st is None:
            st = cache[w] = s.stemWord(w)  # type: ignore[attr-defined]
        out.append(st)
    return out


def _bigrams(words: Iterable[str]) -> list[str]:
    return [w[i : i + 2] for w in words for i in range(max(1, len(w) - 1))]


# The function words verification drops in English (and in text of unknown language).
_VERIFY_EN = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves said says say according told one two new mr mrs ms us s
    t""".split()  # noqa: SIM905 - a word list reads better
)


def content_words(toks: Sequence[str], language: str | None = None) -> list[str]:
    """Stemmed non-stopword tokens: what a paraphrase keeps of a sentence."""
    if language in (None, "en", "und"):
        # English keeps the six-letter prefixes and the short list that verification's
        # thresholds were set with (Snowball here costs 0.007 of truncation recall on the
        # ECB+ copies); a text of unknown language is treated the same way.
        return [w[:6] for w in toks if w not in _VERIFY_EN and len(w) > 1]
    stop = stopwords(language)
    words = [w for w in toks if w not in stop and len(w) > 1]
    if language == "ko":
        return _bigrams(words)
    return stems(words, language)


# Page furniture that extraction lets through: share buttons, social networks, sign-up
# and comment prompts, in the languages handled, and the credits of news and photo
# agencies ("LUTON (dpa-AFX) -", "Foto: Cuartoscuro"). Such words are shared by unrelated
# articles of one site (or of any site), never evidence that two reports are one event.
FURNITURE = frozenset(
    normalise(w)
    for w in """facebook twitter whatsapp linkedin pinterest tumblr telegram instagram
    youtube tiktok reddit flipboard messenger snapchat xing vk vkontakte odnoklassniki
    weibo wechat line viber email e-mail newsletter rss print share tweet subscribe
    comments comment login signup cookie cookies copyright advertisement
    compartir guardar enviar imprimir comentarios suscríbete suscribirse publicidad
    partager imprimer commentaires abonnez newsletter publicité
    teilen drucken kommentare abonnieren werbung anzeige
    condividi stampa commenti iscriviti pubblicità
    udostępnij drukuj komentarze reklama subskrybuj
    поделиться печать комментарии подписаться реклама
    paylaş yazdır yorumlar abone reklam
    分享 打印 评论 订阅 广告 微博 微信
    ap afp reuters dpa efe ansa xinhua tass itar anadolu pap interfax ria novosti upi
    notimex apa kyodo yonhap bernama antara epa getty shutterstock imago keystone
    cuartoscuro afx ihlas demirören dha""".split()  # noqa: SIM905
)
