"""Cookie and consent notices, and syndication disclaimers: page furniture that is not
the article, in any language.

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
otherwise count as shared text (verification, story features), never to drop stored text.

Syndication networks and aggregators append (or, when the article failed to come
through, deliver only) a legal disclaimer: "the information is provided as is, without
warranty of any kind; we accept no responsibility for the accuracy or content of linked
sites...". Two unrelated reports of one network then share their whole body. A
disclaimer is found the same way: a run of sentences that names a warranty and uses at
least four of its families (as is, warranty, liability, accuracy and completeness,
information and content, disclaimer, third parties).
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
DISCLAIMER_FAMILIES: dict[str, tuple[str, ...]] = {
    "warranty": (
        "warrant", "gewähr", "garanti", "garantí", "garanzi", "gwarancj", "гаранти", "ضمان",
        "ضمانات", "تعهدات", "保证", "担保", "保証",
    ),
    "as is": (
        "as is", "as-is", "wie besehen", "wie sie ist", "tel quel", "en l'état", "tal cual",
        "tal como", "così com", "w stanie", "как есть", "olduğu gibi", "كما هي", "كما هو",
        "按原样", "現状",
    ),
    "liability": (
        "liabil", "responsib", "haftung", "haften", "verantwort", "responsabilit",
        "responsab", "odpowiedzialno", "ответственн", "sorumlu", "مسؤولي", "مسئولي",
        "责任", "責任",
    ),
    "accuracy": (
        "accura", "completeness", "reliab", "richtigkeit", "vollständig", "exactitud",
        "exactitude", "exhaustivit", "precisión", "integridad", "accuratezz", "completezz",
        "dokładnoś", "kompletnoś", "точност", "полнот", "doğruluk", "eksiksiz", "دقة",
        "اكتمال", "准确", "完整",
    ),
    "content": (
        "information", "content", "informationen", "inhalt", "contenu", "contenido",
        "informaci", "contenut", "informazion", "treś", "informacj", "информаци",
        "содержани", "içerik", "bilgi", "المعلومات", "المحتوى", "信息", "内容", "情報",
    ),
    "disclaimer": (
        "disclaim", "haftungsausschluss", "avertissement", "exención", "descargo",
        "esclusione di responsabilit", "zastrzeżeni", "отказ от ответственност",
        "sorumluluk reddi", "إخلاء", "免责", "免責",
    ),
    "third parties": (
        "third part", "dritter", "dritte", "tiers", "terceros", "terzi", "osób trzecich",
        "третьих лиц", "üçüncü taraf", "أطراف ثالثة", "الغير", "第三方",
    ),
}  # fmt: skip
# kind -> (the family a notice of that kind must use, its families, how many distinct
# families a run must use, that one among them). A report on a product's warranty may
# speak of liability and information too: a disclaimer also says "as is", or weighs
# accuracy, or disclaims.
KINDS: dict[str, tuple[str, dict[str, tuple[str, ...]], int]] = {
    "cookie": ("cookie", FAMILIES, 3),
    "disclaimer": ("warranty", DISCLAIMER_FAMILIES, 4),
}


def _pattern(stem: str) -> str:
    """A cased-script stem starts a word (no letter of its script before it, so
    "Cookie" in 本网站使用Cookie still counts); in other scripts, whose words carry
    attached particles (Arabic و, ال) or have no spaces (Chinese), it may start anywhere."""
    for script in ("Latin", "Cyrillic", "Greek"):
        if regex.match(rf"\p{{{script}}}", stem):
            return rf"(?<![\p{{{script}}}\p{{M}}])" + regex.escape(stem)
    return regex.escape(stem)


@lru_cache(maxsize=2)
def _family_res(kind: str) -> dict[str, regex.Pattern[str]]:
    """Compiled on first need: most texts never mention cookies or warranties."""
    return {
        family: regex.compile("|".join(_pattern(s) for s in stems))
        for family, stems in KINDS[kind][1].items()
    }


def _gated(text: str) -> list[str]:
    """The kinds whose own family the text names: a plain substring test, the gate to
    everything else (a notice names cookies; a disclaimer, a warranty)."""
    low = text.casefold()
    return [k for k, (gate, fams, _) in KINDS.items() if any(s in low for s in fams[gate])]


@lru_cache(maxsize=8192)
def families(sentence: str, kind: str = "cookie") -> frozenset[str]:
    """The families of notices of ``kind`` that a sentence uses."""
    low = sentence.casefold()
    return frozenset(f for f, rx in _family_res(kind).items() if rx.search(low))


def notice_mask(sents: Sequence[str]) -> list[bool]:
    """True for each sentence that belongs to a cookie or consent notice or a disclaimer."""
    return _mask(sents, _gated(" ".join(sents)))


def _mask(sents: Sequence[str], kinds: list[str]) -> list[bool]:
    """``notice_mask`` for the kinds whose gate the sentences passed."""
    mask = [False] * len(sents)
    for kind in kinds:
        gate, _, least = KINDS[kind]
        fams = [families(s, kind) for s in sents]
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
            if gate in used and len(used) >= least:
                mask[i:j] = [True] * (j - i)
            i = j
    return mask


@lru_cache(maxsize=4096)
def strip_notices(text: str) -> tuple[str, int]:
    """The text without the sentences of cookie and consent notices and of disclaimers,
    lines kept as lines; and how many sentences were dropped."""
    kinds = _gated(text)
    if not kinds:
        return text, 0
    lines = [ln for ln in text.splitlines() if ln.strip()]
    per_line = [sentences(ln) for ln in lines]
    mask = _mask([s for sents in per_line for s in sents], kinds)
    if not any(mask):
        return text, 0
    kept, i = [], 0
    for sents in per_line:
        keep = [s for s, m in zip(sents, mask[i : i + len(sents)], strict=True) if not m]
        i += len(sents)
        if keep:
            kept.append(" ".join(keep))
    return "\n".join(kept), sum(mask)
