"""Numbers and dates as typed terms: years, month-day dates, months, other numbers.

Month names in the languages handled (English, German, French, Spanish, Italian,
Portuguese, Dutch, Polish, Russian, Ukrainian, Turkish, Arabic), their inflected forms
included, and the numeric month-day forms of Chinese, Japanese and Korean (3月5日,
3월 5일). Outside English a month word counts only next to a number: "mars", "mai" or
"maj" are words too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from mediawatch.text.normalise import fold, normalise

_MONTH_LISTS: dict[str, list[str]] = {
    "en": ["jan january", "feb february", "mar march", "apr april", "may", "jun june",
           "jul july", "aug august", "sep sept september", "oct october", "nov november",
           "dec december"],
    "de": ["januar jänner", "februar", "märz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"],
    "fr": ["janvier", "février fevrier", "mars", "avril", "mai", "juin", "juillet",
           "août aout", "septembre", "octobre", "novembre", "décembre decembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre setiembre", "octubre", "noviembre", "diciembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
           "agosto", "settembre", "ottobre", "novembre", "dicembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "pl": ["styczeń stycznia styczniu", "luty lutego lutym", "marzec marca marcu",
           "kwiecień kwietnia kwietniu", "maj maja maju", "czerwiec czerwca czerwcu",
           "lipiec lipca lipcu", "sierpień sierpnia sierpniu", "wrzesień września wrześniu",
           "październik października październiku", "listopad listopada listopadzie",
           "grudzień grudnia grudniu"],
    "ru": ["январь января январе", "февраль февраля феврале", "март марта марте",
           "апрель апреля апреле", "май мая мае", "июнь июня июне", "июль июля июле",
           "август августа августе", "сентябрь сентября сентябре", "октябрь октября октябре",
           "ноябрь ноября ноябре", "декабрь декабря декабре"],
    "uk": ["січень січня", "лютий лютого", "березень березня", "квітень квітня",
           "травень травня", "червень червня", "липень липня", "серпень серпня",
           "вересень вересня", "жовтень жовтня", "листопад листопада", "грудень грудня"],
    "tr": ["ocak", "şubat", "mart", "nisan", "mayıs", "haziran", "temmuz", "ağustos",
           "eylül", "ekim", "kasım", "aralık"],
    "ar": ["يناير كانون الثاني", "فبراير شباط", "مارس آذار", "أبريل ابريل نيسان",
           "مايو أيار", "يونيو يونيه حزيران", "يوليو يوليه تموز", "أغسطس آب",
           "سبتمبر أيلول", "أكتوبر تشرين", "نوفمبر", "ديسمبر كانون"],
}  # fmt: skip


def _months() -> dict[str, int]:
    out: dict[str, int] = {}
    for lists in _MONTH_LISTS.values():
        for i, forms in enumerate(lists):
            for form in forms.split():
                out.setdefault(normalise(form), i + 1)
    return out


MONTHS: dict[str, int] = _months()  # normalised month word -> month, every language
ENGLISH_MONTHS = frozenset(normalise(f) for forms in _MONTH_LISTS["en"] for f in forms.split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())  # noqa: SIM905
_NUMBER_WORDS_TEXT = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: i + 2 for i, w in enumerate(_NUMBER_WORDS_TEXT.split(" "))}
# Counters written after the number in Chinese, Japanese and Korean dates.
_CJK_YEAR, _CJK_MONTH, _CJK_DAY = frozenset("年년"), frozenset("月월"), frozenset("日号號일")
# Words Spanish and Portuguese put between day, month and year ("5 de marzo de 2020").
_DATE_LINKS = frozenset({"de", "del"})

NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
NUMBER_LIKE = frozenset(MONTHS) | WEEKDAYS | frozenset(NUMBER_WORDS)


def common_quantity(term: str) -> bool:
    """Is this numbers term (``number_terms``) a single-digit count ("3 people", "two
    goals", "2 goals")? Reports of every event have them: they say which event a report
    is about no more than its function words do."""
    return len(term) == 2 and term[0] == "n" and term[1].isdigit()


# A price: an amount written with a currency sign and no scale word ("$49.99", "€1,299",
# "29,99 €", "£235 at Amazon"). What a thing costs is on every shopping page and in every
# deals list, and says which event a report is about no more than a count does. An amount
# with a scale word ("$156 billion", "5 Millionen Euro") is an event's figure, and so is a
# big round sum ("a $50,000 bail"): PRICE_CEILING and up, without cents. Currency words
# and codes are left alone: "5 ft" are feet, "200 pounds" a weight, and "a fee of 10 zł a
# month" may be what the report is about.
_CURRENCY_BEFORE = r"(?:US|A|C|NZ|HK|R|S)?\$|[€£¥₹₩₽₺₪]"
_CURRENCY_AFTER = r"[€£$₽₺₪]"
_AMOUNT = r"(\d+(?:[.,]\d+)*)(?![.,]?\d)"  # the whole number, never a prefix of it
_SCALE = (
    r"\s*(?:(?:million|billion|trillion|bn|mn|m|k|mio|mrd|millionen|milliarden|millones|"
    r"milliards?|millions?|miliardi|milioni|milhões|bilhões|mln|mld|млн|млрд|тыс|crore|"
    r"lakh)\b|[万亿億])"
)
PRICE_RE = re.compile(
    rf"(?:{_CURRENCY_BEFORE})\s?{_AMOUNT}(?!{_SCALE})|{_AMOUNT}\s?(?:{_CURRENCY_AFTER})",
    re.IGNORECASE,
)
PRICE_CEILING = 10_000
_CENTS_RE = re.compile(r"[.,]\d\d$")
_SIGN_RE = re.compile(r"[$€£¥₹₩₽₺₪]")  # every currency sign of PRICE_RE


def _number_key(number: str) -> str:
    """The ``n`` term of a number as written (digits folded): "1,299" is n1299."""
    return "n" + number.replace(",", "").rstrip(".")


def price_terms(line: str) -> Counter[str]:
    """The ``n`` terms (as ``number_terms`` writes them) of the prices in a line."""
    out: Counter[str] = Counter()
    if not _SIGN_RE.search(line):  # most lines with a number have no price
        return out
    for m in PRICE_RE.finditer(line):
        amount = fold(m.group(1) or m.group(2))
        if _CENTS_RE.search(amount) or int(re.sub(r"\D", "", amount)) < PRICE_CEILING:
            out[_number_key(amount)] += 1
    return out


def _day(tok: str) -> int | None:
    t = tok.rstrip(".")
    return int(t) if t.isdigit() and len(t) <= 2 and 1 <= int(t) <= 31 else None


def number_terms(toks: Sequence[tuple[str, str]]) -> Counter[str]:
    """Typed terms of a line's tokens, given as (as written, normalised) pairs:
    ``y2019`` years, ``d11-19`` month-day dates, ``m11`` months, ``n42`` numbers,
    ``wfriday`` weekdays. Clock times are skipped: they say little about the event."""
    out: Counter[str] = Counter()
    n = len(toks)
    for i, (w, lw) in enumerate(toks):
        if w[0].isdigit():
            if ":" in w:
                continue
            nxt = toks[i + 1][1] if i + 1 < n else ""
            m = NUMERIC_DATE_RE.match(w)
            if m:
                if m.group(1):
                    mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                    y = y + 2000 if y < 50 else (y + 1900 if y < 100 else y)
                else:
                    y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
                if 1 <= mo <= 12 and 1 <= d <= 31:
                    out[f"d{mo}-{d}"] += 1
                out[f"y{y}"] += 1
                continue
            v = w.replace(",", "")
            if nxt in _CJK_MONTH and v.isdigit() and 1 <= int(v) <= 12:
                mo = int(v)
                out[f"m{mo}"] += 1
                d = _day(toks[i + 2][0]) if i + 3 < n else None
                if d and toks[i + 3][1] in _CJK_DAY:
                    out[f"d{mo}-{d}"] += 1
                continue
            if nxt in _CJK_DAY and i >= 2 and toks[i - 1][1] in _CJK_MONTH:
                continue  # counted with its month
            if v.isdigit() and len(v) == 4 and 1900 <= int(v) <= 2099:
                out[f"y{v}"] += 1
            elif "/" not in v:
                out[_number_key(v)] += 1
            continue
        if lw not in NUMBER_LIKE:  # most words: nothing to count
            continue
        if lw in MONTHS:
            mo = MONTHS[lw]
            day = None
            for j in (i + 1, i - 1):  # "November 28", "28 November", "28. November"
                if 0 <= j < n and toks[j][1] in _DATE_LINKS:
                    j += j - i  # "5 de marzo": the day is one word further
                if 0 <= j < n:
                    day = _day(toks[j][0])
                    if day:
                        break
            k = i + 2 if i + 2 < n and toks[i + 1][1] in _DATE_LINKS else i + 1
            year = k < n and toks[k][0].isdigit() and len(toks[k][0]) == 4
            if lw in ENGLISH_MONTHS:  # English: a capital says it (not "may", "march")
                ok = w[0].isupper() and (lw != "may" or w == "May")
            else:
                ok = bool(day or year)
            if ok:
                out[f"m{mo}"] += 1
                if day:
                    out[f"d{mo}-{day}"] += 1
        elif lw in WEEKDAYS:
            out[f"w{lw}"] += 1
        elif lw in NUMBER_WORDS:
            out[f"n{NUMBER_WORDS[lw]}"] += 1
    return out
