"""Cookie and consent notices: page furniture that is not the article, in any language.

Extraction sometimes keeps a site's consent banner ("We use cookies and similar
technologies... By clicking Accept you agree to the processing of your data..."), and
some sources deliver nothing but a headline and such a notice. Two pages of one site then
share most of their text while reporting different events, so verification must not
count the notice as copied content.

A notice is recognised by its vocabulary, which is much the same on every site: cookies,
privacy, personal data and its processing, consent, accepting, advertising, partners, the
website itself. A sentence that uses one of these families is *notice-like*; a run of
notice-like sentences is a notice when it mentions cookies and uses at least three
families. News about privacy law may use the words too, but rarely as a run that also
talks about the reader's cookies; and the mask is used only where a notice would
otherwise count as shared text (verification), never to drop stored text.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import regex

from mediawatch.text.sentences import sentences

# family -> stems (case-folded). A stem matches at the start of a word (so "cookie"
# matches "Cookies-Nutzung", "datenschutz" matches "Datenschutzerklärung"); stems in
# unspaced scripts match anywhere.
FAMILIES: dict[str, tuple[str, ...]] = {
    "cookie": (
        "cookie", "куки", "çerez", "ciasteczk", "kolačić", "koekje", "كوكيز",
        "ملفات تعريف الارتباط", "ملفات الارتباط", "تعريف الارتباط",
    ),
    "privacy": (
        "privacy", "datenschutz", "privatsphäre", "prywatnoś", "confidentialit",
        "vie privée", "privacidad", "privacidade", "riservatezza", "конфиденциальн",
        "gizlilik", "الخصوصية", "隐私", "隱私", "プライバシー",
    ),
    "personal data": (
        "personal data", "personal information", "personenbezogen", "persönlichen daten",
        "persönlichen informationen", "datenverarbeitung", "verarbeitung", "przetwarza",
        "danych osobowych", "dane osobowe", "données personnelles", "traitement des données",
        "datos personales", "tratamiento de", "dati personali", "trattamento dei dati",
        "персональн", "обработк", "kişisel veri", "işlen", "البيانات الشخصية", "معالجة",
        "个人信息", "个人数据", "個人情報",
    ),
    "consent": (
        "consent", "einwillig", "zustimm", "zgodę", "zgody", "zgoda", "consentement",
        "consentimiento", "consenso", "согласи", "onay", "rıza", "موافقت", "موافقة", "同意",
    ),
    "accept": (
        "accept", "akzeptier", "akceptuj", "zaakceptuj", "accepter", "acceptez", "acept",
        "accett", "принима", "принять", "kabul", "قبول", "أوافق", "接受",
    ),
    "advertising": (
        "advertis", "werbung", "werbe", "reklam", "publicit", "publicidad", "pubblicit",
        "реклам", "إعلان", "الإعلان", "广告", "廣告", "広告",
    ),
    "partners": ("partner", "partenaire", "socios", "партнер", "شركاء", "合作伙伴"),
    "website": (
        "website", "webseite", "witryn", "site web", "sitio web", "sito web", "сайт",
        "web sitesi", "موقع", "网站", "網站",
    ),
}  # fmt: skip
MIN_FAMILIES = 3  # distinct families a notice uses, cookies among them


def _pattern(stem: str) -> str:
    """A cased-script stem starts a word (no letter of its script before it, so
    "Cookie" in 本网站使用Cookie still counts); in other scripts, whose words carry
    attached particles (Arabic و, ال) or have no spaces (Chinese), it may start anywhere."""
    for script in ("Latin", "Cyrillic", "Greek"):
        if regex.match(rf"\p{{{script}}}", stem):
            return rf"(?<![\p{{{script}}}\p{{M}}])" + regex.escape(stem)
    return regex.escape(stem)


@lru_cache(maxsize=1)
def _family_res() -> dict[str, regex.Pattern[str]]:
    """Compiled on first need: most texts never mention cookies and never need them."""
    return {
        family: regex.compile("|".join(_pattern(s) for s in stems))
        for family, stems in FAMILIES.items()
    }


def mentions_cookies(text: str) -> bool:
    """A plain substring test, the gate to everything else: a notice names cookies."""
    low = text.casefold()
    return any(stem in low for stem in FAMILIES["cookie"])


@lru_cache(maxsize=8192)
def families(sentence: str) -> frozenset[str]:
    """The notice families a sentence uses."""
    low = sentence.casefold()
    return frozenset(f for f, rx in _family_res().items() if rx.search(low))


def notice_mask(sents: Sequence[str]) -> list[bool]:
    """True for each sentence that belongs to a cookie or consent notice."""
    if not any(mentions_cookies(s) for s in sents):
        return [False] * len(sents)
    fams = [families(s) for s in sents]
    mask = [False] * len(sents)
    i = 0
    while i < len(sents):
        if not fams[i]:
            i += 1
            continue
        j = i
        used: set[str] = set()
        while j < len(sents) and fams[j]:
            used |= fams[j]
            j += 1
        if "cookie" in used and len(used) >= MIN_FAMILIES:
            mask[i:j] = [True] * (j - i)
        i = j
    return mask


@lru_cache(maxsize=4096)
def strip_notices(text: str) -> tuple[str, int]:
    """The text without the sentences of cookie and consent notices, lines kept as lines;
    and how many sentences were dropped."""
    if not mentions_cookies(text):
        return text, 0
    lines = [ln for ln in text.splitlines() if ln.strip()]
    per_line = [sentences(ln) for ln in lines]
    mask = notice_mask([s for sents in per_line for s in sents])
    if not any(mask):
        return text, 0
    kept, i = [], 0
    for sents in per_line:
        keep = [s for s, m in zip(sents, mask[i : i + len(sents)], strict=True) if not m]
        i += len(sents)
        if keep:
            kept.append(" ".join(keep))
    return "\n".join(kept), sum(mask)
