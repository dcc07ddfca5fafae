"""The text-analysis layer (mediawatch.text) on short texts written for these tests, in
Chinese, Japanese, Thai, Arabic, Hindi, German, Russian and other languages: words,
sentences, stems, stopwords, languages, names, numbers and dates, and the duplicate
relations they feed (near copies, truncations and rewrites in every script)."""

from __future__ import annotations

import pytest
import regex

from mediawatch.cluster.features import extract_features
from mediawatch.fingerprint import fingerprint_many
from mediawatch.match.groups import Article, DedupIndex
from mediawatch.match.verify import verify
from mediawatch.search import index_terms, parse_query
from mediawatch.text import (
    content_words,
    detect_language,
    normalise,
    sentences,
    stem,
    stopwords,
    tokens,
)
from mediawatch.text.frequency import UNLISTED, commonness
from mediawatch.text.language import Language
from mediawatch.text.names import name_key
from mediawatch.text.notices import notice_mask

from . import scheme1
from .multilingual import AR, DE, RU, TEXTS, ZH, near_copy

# --------------------------------------------------------------------------- words


def test_chinese_is_segmented_into_words_not_one_clause() -> None:
    clause = "杭州市政府星期二正式批准了一项新建跨江大桥的计划，结束了长达两年的争论。"
    toks = tokens(clause)
    assert {"杭州市政府", "星期二", "批准", "大桥", "计划", "争论"} <= set(toks)
    assert max(len(t) for t in toks) <= 5
    assert len(scheme1.tokens(clause)) == 2  # before: two clause-long "words"


def test_japanese_and_thai_are_split_at_word_breaks() -> None:
    ja = tokens("東京都は火曜日に新しい橋の建設計画を承認した。")
    assert {"火曜日", "新しい", "橋", "建設", "計画", "承認"} <= set(ja)
    # Han without kana is Chinese unless the language says Japanese
    assert tokens("建設計画", "ja") == ["建設", "計画"]
    th = tokens("กรุงเทพมหานครอนุมัติโครงการสร้างสะพานใหม่")
    assert th == ["กรุงเทพมหานคร", "อนุมัติ", "โครงการ", "สร้าง", "สะพาน", "ใหม่"]
    assert scheme1.tokens("กรุงเทพมหานครอนุมัติโครงการสร้างสะพานใหม่") != th


def test_words_with_combining_marks_stay_whole_and_fold() -> None:
    marked = "وَافَقَ مَجْلِسُ المَدِينَةِ عَلَى الخُطَّةِ"
    plain = "وافق مجلس المدينة على الخطة"
    assert tokens(marked) == tokens(plain) == ["وافق", "مجلس", "المدينه", "علي", "الخطه"]
    assert len(scheme1.tokens(marked)) > 10  # Python's \w split at every vowel mark
    # hamza forms of alef, tatweel, alef maqsura: the spellings writers vary in
    assert tokens("أحمد إحمد آحمد جـــسر مستشفى") == tokens("احمد احمد احمد جسر مستشفي")
    assert tokens("प्रधानमंत्री मोदी ने कहा") == ["प्रधानमंत्री", "मोदी", "ने", "कहा"]


def test_digits_of_every_script_fold_to_ascii() -> None:
    written = "١٢٣ ۲۰۲۶ २०२६ ๒๕๖๙ ২০২৬ ２０２６ ၂၀၂၆"
    assert tokens(written) == ["123", "2026", "2026", "2569", "2026", "2026", "2026"]
    assert normalise("عام ٢٠٢٧") == "عام 2027"


def test_case_folding_and_apostrophes() -> None:
    assert tokens("STRASSE Straße straße") == ["strasse"] * 3
    assert tokens("China\u2019s Chinas") == ["chinas", "chinas"]
    assert tokens("ΟΔΥΣΣΕΑΣ") == tokens("οδυσσεας")  # final sigma


# --------------------------------------------------------------------------- sentences


def test_sentences_end_in_every_script() -> None:
    assert sentences("第一句话结束了。第二句话很短！第三句话是问题吗？最后一句") == [
        "第一句话结束了。",
        "第二句话很短！",
        "第三句话是问题吗？",
        "最后一句",
    ]
    assert sentences("東京は晴れ。大阪は雨。") == ["東京は晴れ。", "大阪は雨。"]
    assert sentences("هل وافق المجلس؟ نعم، وافق بالإجماع. ثم انتهى الاجتماع") == [
        "هل وافق المجلس؟",
        "نعم، وافق بالإجماع.",
        "ثم انتهى الاجتماع",
    ]
    assert sentences("प्रधानमंत्री ने कहा। सरकार काम करेगी।") == [
        "प्रधानमंत्री ने कहा।",
        "सरकार काम करेगी।",
    ]
    assert sentences("Встреча закончилась. Потом все ушли.") == [
        "Встреча закончилась.",
        "Потом все ушли.",
    ]


def test_lowercase_and_latin_starts_after_a_full_stop_without_case() -> None:
    # after 。 ！ ？ ؟ the next sentence may open with anything, a lowercase brand included
    assert sentences("苹果发布了新手机。iPhone销量大增。") == [
        "苹果发布了新手机。",
        "iPhone销量大增。",
    ]
    assert sentences("ماذا قال الوزير؟ iPhone هو الأكثر مبيعا") == [
        "ماذا قال الوزير؟",
        "iPhone هو الأكثر مبيعا",
    ]
    # after "." a lowercase word does not open a sentence in cased text (abbreviations)
    assert sentences("Es kamen ca. zweihundert Gäste.") == ["Es kamen ca. zweihundert Gäste."]


def test_paragraphs_of_chinese_and_arabic_hold_several_sentences() -> None:
    assert len(sentences(ZH)) == 7 and len(scheme1.sentences(ZH)) == 4
    assert len(sentences(AR)) == 7 and len(scheme1.sentences(AR)) == 4


# --------------------------------------------------------------------------- stems, stopwords


def test_snowball_stems_per_language() -> None:
    german = {stem(normalise(w), "de") for w in ("Häuser", "Haus", "Hauses", "Häusern")}
    assert german == {"haus"}
    assert {stem(w, "de") for w in ("brücke", "brücken")} == {"bruck"}
    russian = {stem(w, "ru") for w in ("москва", "москвы", "москве", "москвой")}
    assert len(russian) == 1
    assert len({stem(w, "ru") for w in ("мост", "моста", "мосту", "мостом", "мосты")}) == 1
    assert stem("bridges", "en") == "bridg" and stem("running", "en") == "run"
    # a stemmer belongs to its language: no stemmer, no change
    assert stem("大桥", "zh") == "大桥" and stem("häuser", "zh") == "häuser"
    assert stem("мосты", "de") == "мосты"


def test_stopwords_per_language() -> None:
    assert {"und", "der", "nicht"} <= stopwords("de")
    assert {"и", "в", "не"} <= stopwords("ru")
    assert {normalise(w) for w in ("في", "على", "من")} <= stopwords("ar")
    assert {"的", "了"} <= stopwords("zh")
    assert {"the", "said", "according"} <= stopwords("en")
    assert "und" not in stopwords("ru") and "brücke" not in stopwords("de")
    assert stopwords("xx") == frozenset() and stopwords(None) == frozenset()
    words = content_words(tokens("Die Häuser und die Brücken der Stadt"), "de")
    assert words == ["haus", "bruck", "stadt"]
    assert content_words(tokens("市政府批准了大桥的计划"), "zh") == [
        "市政府",
        "批准",
        "大桥",
        "计划",
    ]


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("lang", ["zh", "de", "ru", "ar"])
def test_each_language_is_identified(lang: str) -> None:
    found = detect_language(TEXTS[lang][0])
    assert found.code == lang and found.confidence >= 0.9


def test_other_languages_are_identified() -> None:
    samples = {
        "ja": "東京都は火曜日に新しい橋の建設計画を承認した。工事は来年の春に始まる予定です。",
        "th": "กรุงเทพมหานครอนุมัติโครงการสร้างสะพานใหม่ข้ามแม่น้ำเจ้าพระยาเมื่อวันอังคาร",
        "fr": "Le conseil municipal a approuvé mardi la construction d'un nouveau pont sur la "
        "Seine, mettant fin à deux ans de débats.",
        "tr": "Belediye meclisi salı günü nehir üzerine yeni bir köprü yapılmasını onayladı ve "
        "iki yıllık tartışmayı sona erdirdi.",
    }
    for lang, text in samples.items():
        assert detect_language(text).code == lang, lang


def test_a_declared_language_is_a_hint_not_the_truth() -> None:
    for lang, (text, _, _) in TEXTS.items():
        for hint in ("en", "fr-FR", "de_AT", "xx"):
            assert detect_language(text, hint=hint).code == lang
    # where the text cannot tell, the hint breaks the doubt
    assert detect_language("OK", hint="de").code == "de"
    assert detect_language("北京", hint="zh").code == "zh"


def test_two_words_are_too_short_to_tell() -> None:
    """CLD2 names a language for any two words, even "reliably" (Interlingue for these):
    under twenty letters only the script or a declared language decides."""
    assert detect_language("numeric url") == Language("und", 0.0)
    assert detect_language("numeric url", hint="en") == Language("en", 0.25)
    assert detect_language("Ο Πούτιν έφτασε").code == "el"  # the script still tells
    assert detect_language("中国外交部").code == "zh"
    assert detect_language("The council voted on the budget on Monday.").code == "en"


def test_a_short_or_empty_text_falls_back_sensibly() -> None:
    unsure = detect_language("OK")
    assert unsure.confidence < 0.5  # a guess, and it says so
    digits = detect_language("12 34", hint="pl")
    assert digits.code == "pl" and digits.confidence <= 0.25
    assert detect_language("") == detect_language("12 34") == detect_language("\x00\x01")
    assert detect_language("").code == "und" and detect_language("").confidence == 0.0
    # the script decides when the identifier has nothing to go on
    assert detect_language("ㄱ 서울", hint=None).code == "ko"


# --------------------------------------------------------------------------- names


def test_german_common_nouns_are_not_names() -> None:
    text = (
        "Merkel besucht Paris\n"
        "Bundeskanzlerin Angela Merkel hat am Montag die Regierung in Paris besucht.\n"
        "Die Regierung sprach mit Merkel über die Zukunft der Industrie und die Brücke.\n"
        "Nach dem Treffen sagte Merkel, die Gespräche seien gut verlaufen."
    )
    names = extract_features("", text, language="de").entities
    assert {"merkel", "paris"} <= set(names)
    common = ("regierung", "zukunft", "industrie", "brucke", "brücke", "montag", "treffen")
    assert not set(names) & ({name_key(w, "de") for w in common} | set(common))
    # the same text read as English keeps the capitalised nouns: German needs its rule
    assert name_key("regierung", "en") in extract_features("", text, language="en").entities


def test_acronyms_after_an_article_and_names_in_long_german_paragraphs() -> None:
    # One paragraph of more than 25 words, as pasted texts often are: mostly capitalised
    # in German, yet not a headline, so its names count.
    text = (
        "Die konservative ÖVP und die Grünen haben sich in Wien nach langen Gesprächen auf "
        "eine gemeinsame Regierung geeinigt, sagte Sebastian Kurz am Mittwoch vor der "
        "Presse, und Werner Kogler bestätigte die Einigung der beiden Parteien im Parlament."
    )
    names = extract_features("", text, language="de").entities
    assert {"ovp", name_key("vienna", "en"), "kogler", "werner_kogler"} <= set(names)  # Wien
    assert "regierung" not in names and name_key("regierung", "de") not in names


@pytest.mark.parametrize(
    ("lang", "text", "word", "name"),
    [
        ("fr", "Le président de l'Assemblée a parlé à l'ONU. L'Assemblée vote.", "assembl", "onu"),
        ("it", "Il presidente dell'Unione ha visitato l'Italia e l'Unione.", "union", "ital"),
    ],
)
def test_elided_articles_come_off_the_word(lang: str, text: str, word: str, name: str) -> None:
    """l'Assemblée is the word Assemblée (and, written with a capital, a name); glued, it
    met no other form of the word."""
    f = extract_features("", text, language=lang)
    assert word in f.words and name in f.entities
    assert not {f"l{word}", f"dell{word}"} & set(f.words)


def test_chinese_names_come_from_the_segmenter_tags() -> None:
    text = (
        "国家主席习近平星期一在北京会见了法国总统。习近平表示，中国愿意同法国加强合作。"
        "会谈在人民大会堂举行，双方讨论了气候变化问题。"
    )
    names = extract_features("", text, language="zh").entities
    assert {"xijinping", "beijing", "franc"} <= set(names)  # 法国: France, as in English
    assert name_key("气候变化", "zh") not in names and name_key("会谈", "zh") not in names


def test_putin_and_putin_meet() -> None:
    assert name_key("путин", "ru") == name_key("путина", "ru") == name_key("putin", "en")
    ru = "Президент Владимир Путин провёл встречу. По словам Путина, переговоры прошли успешно."
    en = "President Vladimir Putin held a meeting. According to Putin, the talks went well."
    ru_names = extract_features("", ru, language="ru").entities
    en_names = extract_features("", en, language="en").entities
    assert {"putin", "vladimir_putin"} <= set(ru_names) & set(en_names)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Der Präsident reiste am Montag in die Türkei. In Toronto sprach er später."),
        ("fr", "Le président s'est rendu lundi en Turquie. À Toronto, il a parlé plus tard."),
        ("ru", "Президент в понедельник прибыл в Турцию. Позже в Торонто он выступил."),
        ("pl", "Prezydent w poniedziałek przyjechał do Turcji. Później w Toronto przemawiał."),
        ("zh", "总统星期一抵达土耳其。他后来在多伦多发表讲话。"),
    ],
)
def test_countries_and_cities_meet_their_english_names(lang: str, text: str) -> None:
    en = "The president arrived in Turkey on Monday. Later he spoke in Toronto, officials said."
    local = set(extract_features("", text, language=lang).entities)
    english = set(extract_features("", en, language="en").entities)
    assert {name_key("turkey", "en"), name_key("toronto", "en")} <= local & english


def test_several_word_places_and_english_short_forms() -> None:
    es = "El gobierno de Estados Unidos anunció sanciones. Berlín respondió a Estados Unidos."
    en = "The minister said on Monday that the USA and the UK would talk. America agreed, he said."
    es_names = extract_features("", es, language="es").entities
    en_names = extract_features("", en, language="en").entities
    assert "united_states" in es_names and "united_states" in en_names
    assert "united_kingdom" in en_names
    # a word that is only part of a place's name is not that place
    paz = "Los vecinos pidieron Paz en la plaza. Volvió la Paz a los vecinos, dijo Paz."
    assert name_key("bolivia", "en") not in extract_features("", paz, language="es").entities


def test_german_genitives_and_compounds_name_their_country() -> None:
    """Deutschlands and Chinas are Germany and China; a compound that starts with a
    country's name (Irakkrieg, Libyengipfel) names the country; a word that merely
    starts like a city or a short name (Bernhard, Romantik) does not."""
    de = (
        "Die Regierung Deutschlands und Chinas Präsident sprachen über den Irakkrieg. "
        "Beim Libyengipfel sprach Bernhard Ott über die Romantik."
    )
    en = "Leaders of Germany and China spoke about the war in Iraq, and later about Libya."
    de_names = set(extract_features("", de, language="de").entities)
    en_names = set(extract_features("", en, language="en").entities)
    countries = {name_key(c, "en") for c in ("germany", "china", "iraq", "libya")}
    assert countries <= de_names & en_names
    assert not {name_key("bern", "en"), name_key("rome", "en")} & de_names


def test_agency_credits_are_not_names() -> None:
    """A wire or photo agency's credit is on unrelated reports alike."""
    text = (
        "LUTON (dpa-AFX) - Die Fluggesellschaft Easyjet streicht Stellen, teilte Easyjet mit. "
        "Foto: Cuartoscuro. Die Agentur Reuters und AFP berichteten zuerst."
    )
    f = extract_features("", text, language="de")
    assert name_key("easyjet", "de") in f.entities
    assert not {"dpa", "afx", "cuartoscuro", "reuters", "afp"} & (set(f.entities) | set(f.words))


@pytest.mark.parametrize("gap", [" ", ""])
def test_latin_names_inside_chinese_text(gap: str) -> None:
    text = (
        f"苹果公司首席执行官{gap}Tim Cook{gap}星期二在上海宣布，公司将扩大在中国的投资。"
        f"法国总统{gap}Macron{gap}表示欢迎。"
    )
    names = extract_features("", text, language="zh").entities
    assert {"tim_cook", "macron", "shangha"} <= set(names)


def test_a_repeated_caseless_word_stands_in_for_a_name() -> None:
    text = (
        "وقال أحمد منصور إن المشروع مهم. وأكد منصور أن العمل سيبدأ قريبا. "
        "وأضاف منصور أن التمويل متوفر."
    )
    names = extract_features("", text, language="ar").entities
    assert name_key(normalise("منصور"), "ar") in names
    assert name_key(normalise("المشروع"), "ar") not in names  # said once


# --------------------------------------------------------------------------- numbers, dates


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The meeting took place on March 5, 2020 in London."),
        ("de", "Das Treffen fand am 5. März 2020 in Berlin statt."),
        ("ru", "Встреча состоялась 5 марта 2020 года в Москве."),
        ("fr", "La réunion a eu lieu le 5 mars 2020 à Paris."),
        ("es", "La reunión se celebró el 5 de marzo de 2020 en Madrid."),
        ("pl", "Spotkanie odbyło się 5 marca 2020 roku w Warszawie."),
        ("tr", "Toplantı 5 Mart 2020 tarihinde Ankara'da yapıldı."),
        ("ar", "عقد الاجتماع في 5 مارس 2020 في القاهرة."),
        ("ar", "عقد الاجتماع في ٥ آذار ٢٠٢٠ في دمشق."),
        ("zh", "会议于2020年3月5日在北京举行。"),
        ("zh", "会议于２０２０年３月５日在北京举行。"),
        ("ja", "会議は2020年3月5日に東京で開かれた。"),
    ],
)
def test_month_names_and_dates(lang: str, text: str) -> None:
    numbers = extract_features("", text, language=lang).numbers
    assert {"m3", "d3-5", "y2020"} <= set(numbers), numbers


def test_a_month_word_without_a_number_is_a_word() -> None:
    for lang, text in (
        ("fr", "Les planètes comme mars sont rouges."),
        ("de", "Im Mai wurde gewählt."),
        ("pl", "Maj to piękny miesiąc."),
        ("es", "El precio de marzo subió mucho."),
    ):
        assert not any(k[0] in "md" for k in extract_features("", text, language=lang).numbers)


@pytest.mark.parametrize(
    ("lang", "text", "prices", "figures"),
    [
        (
            "en",
            "AirPods Pro for $235 at Amazon, and the Switch Lite for $199.99.",
            {"235", "199.99"},
            set(),
        ),
        (
            "en",
            "MacBook Pro from $2,399; a $50,000 bail; $156 billion of goods.",
            {"2399"},
            {"50000", "156"},
        ),
        (
            "en",
            "The plane is 250 ft long and weighs 200 pounds more than the $1.5bn prototype.",
            set(),
            {"250", "200", "1.5"},
        ),
        ("de", "Die Kopfhörer kosten 29,99 € statt 5 Millionen Euro.", {"2999"}, {"5"}),
        ("fr", "Le casque coûte 1.299 € chez Fnac.", {"1.299"}, set()),
        (
            "pl",
            "Opłata wyniesie 10 zł miesięcznie, a słuchawki kosztują 349 zł.",
            set(),
            {"10", "349"},
        ),
        ("ja", "価格は¥5999で、予算は¥5億だ。", {"5999"}, {"5"}),
    ],
)
def test_a_price_is_no_events_figure(lang: str, text: str, prices: set, figures: set) -> None:
    """An amount with a currency sign and no scale word is what a thing costs (on every
    deals page): not a numbers term. Sums with a scale word, big round sums, amounts in
    currency words and other numbers are."""
    numbers = extract_features("", text, language=lang).numbers
    assert not {"n" + p for p in prices} & set(numbers), numbers
    assert {"n" + f for f in figures} <= set(numbers), numbers


@pytest.mark.parametrize(
    ("lang", "common", "rare"),
    [
        ("en", "company", "tariff"),
        ("de", "Unternehmen", "Zölle"),
        ("fr", "entreprise", "douane"),
        ("es", "gobierno", "arancel"),
        ("ru", "компания", "пошлины"),
        ("ar", "شركة", "تعريفات"),
        ("zh", "公司", "关税"),
        ("ja", "会社", "関税"),
    ],
)
def test_how_common_a_word_is_in_its_language(lang: str, common: str, rare: str) -> None:
    """A word of every newspaper is common (towards 1), a word of a few events is not (0),
    in every language with a list; keyed as words are normalised (Arabic letter
    variants folded). In a language without a list, or an unknown one, every word gets
    the typical discount, so the lead gate is as strict there as without lists."""
    assert commonness(normalise(common), lang) > 0.4
    assert commonness(normalise(rare), lang) < 0.2
    for unlisted in (None, "und", "th", "ka"):
        assert commonness(normalise(common), unlisted) == UNLISTED
        assert commonness(normalise(rare), unlisted) == UNLISTED


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_near_copy_in_every_script(lang: str) -> None:
    report, _, _ = TEXTS[lang]
    d = verify(near_copy(report, lang), report)
    assert d.relation == "near_copy", d.reason
    assert d.scores["coverage_shorter"] >= 0.85


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_truncation_in_every_script(lang: str) -> None:
    report, _, _ = TEXTS[lang]
    lead = report[: int(len(report) * 0.6)]
    d = verify(lead, report)
    assert d.relation == "near_copy", d.reason
    assert d.containment is not None and d.containment >= 0.95


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_rewrite_in_every_script(lang: str) -> None:
    report, rewrite, _ = TEXTS[lang]
    d = verify(report, rewrite)
    assert d.relation == "rewrite", d.reason
    assert d.scores["aligned_sentences"] >= 5
    assert d.scores["coverage_shorter"] < d.thresholds["near_copy_coverage"]


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_unrelated_text_of_the_same_language_is_not_matched(lang: str) -> None:
    report, rewrite, other = TEXTS[lang]
    for text in (report, rewrite, near_copy(report, lang)):
        d = verify(text, other)
        assert d.relation is None, d.reason
        assert d.scores["aligned_sentences"] == 0


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_band_keys_bring_copies_and_rewrites_together(lang: str) -> None:
    report, rewrite, other = TEXTS[lang]
    index = DedupIndex()
    index.add_batch(
        [
            Article("report", report, 1.0),
            Article("copy", near_copy(report, lang), 2.0),
            Article("lead", report[: int(len(report) * 0.6)], 3.0),
            Article("rewrite", rewrite, 4.0),
            Article("other", other, 5.0),
        ]
    )
    group = index.group_of["report"]
    assert all(index.group_of[a] == group for a in ("copy", "lead", "rewrite"))
    assert index.group_of["other"] != group
    assert index.member("copy").relation == index.member("lead").relation == "near_copy"
    assert index.member("rewrite").relation == "rewrite"


def test_chinese_rewrite_shares_words_now_and_shared_none_before() -> None:
    report, rewrite, _ = TEXTS["zh"]

    def shared(words_a: list[str], words_b: list[str]) -> float:
        a, b = set(words_a), set(words_b)
        return len(a & b) / len(a | b)

    now = shared(content_words(tokens(report), "zh"), content_words(tokens(rewrite), "zh"))
    before = shared(
        scheme1.content_words(scheme1.tokens(report)),
        scheme1.content_words(scheme1.tokens(rewrite)),
    )
    assert before < 0.05 < 0.5 < now


def test_fingerprints_follow_the_language_given() -> None:
    """A fingerprint is a pure function of the text and its language: the language found
    in the text when none is given, so stored and recomputed keys agree."""
    texts = [ZH, DE, RU, AR]
    found = fingerprint_many(texts)
    given = fingerprint_many(texts, ["zh", "de", "ru", "ar"])
    assert [f.band_keys for f in found] == [f.band_keys for f in given]
    as_english = fingerprint_many([DE], ["en"])[0]
    assert as_english.band_keys["words"] != given[1].band_keys["words"]  # stems differ
    assert as_english.band_keys["shingle"] == given[1].band_keys["shingle"]  # words do not


# --------------------------------------------------------------------------- search terms


def test_search_terms_hold_words_and_stems() -> None:
    counts, _ = index_terms(None, ZH, language="zh")
    assert {"大桥", "批准", "杭州市政府"} <= set(counts)
    counts, _ = index_terms(None, DE, language="de")
    assert counts["brücke"] >= 2 and counts["~bruck"] >= counts["brücke"]
    # a query word meets the stem postings of every language that has a stemmer
    brucken = next(t for t in parse_query("Brücken").terms)
    assert "~bruck" in brucken.forms
    assert [t.word for t in parse_query("跨江大桥").terms] == ["跨江", "大桥"]
    counts, _ = index_terms(None, RU, language="ru")
    assert stem("мостом", "ru") in {t.lstrip("~") for t in counts}


def test_search_finds_a_word_behind_an_elided_article() -> None:
    counts, _ = index_terms(None, "Le président de l’Assemblée a reçu l'AFP.", language="fr")
    assert {"assemblée", "afp"} <= set(counts) and "lassemblée" not in counts
    assert parse_query("Assemblée").terms[0].word in counts
    assert tokens("dell'Unione", "it") == ["dell", "unione"]
    assert tokens("China's", "en") == ["chinas"]  # elsewhere the apostrophe just goes


def test_tokens_have_no_punctuation_or_space() -> None:
    for text, _, _ in TEXTS.values():
        for tok in tokens(text):
            assert tok and not regex.search(r"[\s\p{P}\p{S}]", tok), tok


def test_han_without_kana_is_chinese_not_japanese() -> None:
    from mediawatch.text import detect_language

    # CLD2 calls short Han-only texts Japanese; Japanese text carries kana
    assert detect_language("中国外交部").code == "zh"
    assert detect_language("東京都は月曜日に新しい計画を発表した。").code == "ja"


def test_an_unknown_declared_language_is_not_taken() -> None:
    from mediawatch.text import detect_language

    assert detect_language("", "xx-YY").code == "und"
    assert detect_language("", "de-DE").code == "de"  # a known hint breaks the doubt


REPORT = "The minister resigned on Friday after three days of protests in the capital."


def _marked_after_the_report(lang: str, notice: str) -> list[str]:
    """A report, then a notice: every sentence of the notice is marked, the report not."""
    sents = sentences(REPORT + "\n" + notice)
    mask = notice_mask(sents)
    assert mask[0] is False, lang
    assert all(mask[1:]), (lang, sents)
    return sents


def test_consent_notices_are_recognised_in_many_languages() -> None:
    """Cookie banners (written for the test) are marked sentence by sentence; the report
    around them, and news that merely mentions privacy or advertising, is not."""
    banners = {
        "en": "We use cookies and similar technologies to improve our website. By clicking "
        "Accept you consent to the processing of your personal data by us and our partners.",
        "pl": "Aby poprawić działanie witryny i wyświetlać reklamy, zbieramy informacje. "
        "Korzystamy z plików cookie. Klikając „Zaakceptuj”, wyrażasz zgodę na przetwarzanie "
        "danych.",
        "fr": "Ce site web utilise des cookies. En cliquant sur Accepter, vous donnez votre "
        "consentement au traitement des données par nos partenaires.",
        "tr": "Web sitesi deneyiminizi iyileştirmek için çerez kullanıyoruz. Kabul ederek "
        "kişisel verilerinizin işlenmesine onay vermiş olursunuz.",
        "zh": "本网站使用Cookie来改善您的体验。点击接受即表示您同意我们处理您的个人信息。",
    }
    for lang, banner in banners.items():
        _marked_after_the_report(lang, banner)
    news = [
        "The regulator fined the company for sharing personal data with advertising partners.",
        "Parliament debated a privacy law on Tuesday, and the minister accepted amendments.",
    ]
    assert notice_mask(news) == [False, False]  # no cookies: a report about privacy


def test_syndication_disclaimers_are_recognised_in_many_languages() -> None:
    """Disclaimers (written for the test) are marked; a report about a warranty is not."""
    from mediawatch.text.notices import strip_notices

    disclaimers = {
        "en": "The network provides the information as is, without warranty of any kind. "
        "We accept no liability for the accuracy or completeness of the content.",
        "de": "Alle Informationen werden ohne Gewähr bereitgestellt. Für die Richtigkeit "
        "und Vollständigkeit der Inhalte übernehmen wir keine Haftung.",
        "es": "La información se ofrece tal cual, sin garantía de ningún tipo. No asumimos "
        "responsabilidad por la exactitud del contenido.",
        "ar": "توفر الشبكة المعلومات كما هي دون أي ضمانات. ولا نتحمل أي مسؤولية عن دقة المحتوى.",
    }
    for lang, notice in disclaimers.items():
        sents = _marked_after_the_report(lang, notice)
        rest, dropped = strip_notices(REPORT + "\n" + notice)
        assert rest == REPORT and dropped == len(sents) - 1, lang
    news = [
        "The carmaker extended the warranty on its batteries to ten years.",
        "Owners had asked who bears liability for the information in the manual.",
    ]
    assert notice_mask(news) == [False, False]  # two families, no disclaimer
