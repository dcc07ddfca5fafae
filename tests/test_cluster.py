"""Behaviour of the features and the clusterer on tiny hand-made articles."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from mediawatch.cluster.features import (
    extract_features,
    lead_forms,
    names_nothing,
    passage_share,
    stem,
)
from mediawatch.cluster.leads import LeadTally, cores_hold
from mediawatch.cluster.stories import (
    ArticleFeatures,
    DocFreq,
    Params,
    StoryIndex,
    assign_batch,
    lead_weights,
    pair_echo,
    pair_lead,
    pair_score,
    story_labels,
)
from mediawatch.text.dates import common_quantity
from mediawatch.times import NO_TIME

TEXTS = {
    "a1": "Tara Reid checks into Promises rehab in Malibu. The actress Tara Reid entered the "
    "Promises Treatment Center on Friday, her publicist Jack Ketsoyan said.",
    "a2": "Actress Tara Reid has entered rehab at the Promises Treatment Center in Malibu, "
    "publicist Jack Ketsoyan confirmed on Friday.",
    "a3": "Publicist Jack Ketsoyan says Tara Reid is being treated at Promises in Malibu. "
    "Reid, 33, starred in American Pie.",
    "b1": "A strong earthquake of magnitude 6.1 hit Qeshm island in southern Iran on Sunday, "
    "killing 10 people in villages near Bandar Abbas.",
    "b2": "The 6.1 magnitude quake struck Qeshm island off Iran, killing 10 and damaging "
    "villages, said governor Heydar Alishbandi.",
    "b3": "Rescuers in Qeshm searched villages after the quake that killed 10 people; "
    "governor Heydar Alishbandi said Bandar Abbas was shaken.",
}


def arts(ids: list[str], published: datetime | None = None) -> list[ArticleFeatures]:
    out = []
    for i in ids:
        title, _, _ = TEXTS[i].partition(".")
        out.append(ArticleFeatures.from_features(i, extract_features(title, TEXTS[i]), published))
    return out


def partition(labels: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for a, s in labels.items():
        groups.setdefault(s, set()).add(a)
    return {frozenset(g) for g in groups.values()}


EXPECTED = {frozenset({"a1", "a2", "a3"}), frozenset({"b1", "b2", "b3"})}


def test_features_names_numbers_and_stems() -> None:
    text = "Actress Tara Reid went to Promises in Malibu on May 5, 2008."
    f = extract_features("Quake hits Iran", text)
    # names compare on their transliterated skeleton: a final vowel is dropped (Malibu)
    assert {"tara_reid", "tara", "reid", "promises", "malib"} <= set(f.entities)
    assert "actress" not in f.entities  # sentence-initial, seen once
    assert "quake" not in f.entities  # lowercase word, no name
    assert {"y2008", "d5-5", "m5"} <= set(f.numbers)
    assert stem("sentenced") == stem("sentences") == stem("sentence")


def test_the_lead_words_as_written() -> None:
    """explain shows the words two leads share as the text writes them: each lead term
    (a stem, as in Features.lead) maps to its first form in the title and first words."""
    title = "Beijing's tariff demands may expand the trade deal"
    text = title + "\nNegotiators in Beijing said tariffs " + "were discussed at length " * 20
    text += "\nA final line about Zanzibar."
    feats = extract_features(title, text)
    forms = lead_forms(title, text, "en")
    assert set(feats.lead) <= set(forms)
    assert forms[stem("beijing")] == "Beijing" and forms[stem("tariffs")] == "tariff"
    assert forms[stem("negotiators")] == "Negotiators"
    assert stem("zanzibar") not in forms and stem("zanzibar") not in feats.lead  # past the lead
    # a text without a title: its first words are its lead
    assert lead_forms("", text, "en")[stem("negotiators")] == "Negotiators"


def test_sentence_initial_word_is_not_a_name_unless_it_repeats_capitalised() -> None:
    f = extract_features("", "Police said it rained. Officers said Police Chief Moe left.")
    assert "officers" not in f.entities  # sentence-initial only, once
    assert "polic" in f.entities  # capitalised mid-sentence elsewhere (the name key)


def test_a_numbered_step_opens_a_sentence() -> None:
    """A numbered step ("2. Add the milk"): the number opens the line as a list marker,
    so "Add" is a sentence start like any other, not a capital in mid-sentence (a name).
    An initial in a name ("J. Smith") still joins the name."""
    f = extract_features("", "1. Cream the butter.\n2. Add the milk and stir.\nJ. Smith bakes.")
    assert "add" not in f.entities
    assert "smith" in f.entities


def test_a_word_mostly_written_in_lowercase_is_not_a_name_by_itself() -> None:
    """A word like "Heated" in a product's name is not a name when the text mostly writes it in
    lowercase: it stays in the product's full key, and the maker stays a name."""
    text = (
        "I tested six heated vests. The heated collar was warm and the heated pockets "
        "were better. The Venture Heated Vest has the best battery. Ask Police Chief Moe."
    )
    f = extract_features("", text)
    assert "heated" not in f.entities
    assert {"ventur", "vest", "ventur_heated_vest"} <= set(f.entities)
    # written capitalised mid-sentence as often as not: still a name ("the Police")
    g = extract_features(
        "",
        "Reporters asked Police Chief Moe about it, and the police said nothing at all. "
        "Later Police Chief Moe left the town hall by the back door.",
    )
    assert "polic" in g.entities


def test_two_stories_in_two_batches() -> None:
    index = StoryIndex()
    assign_batch(arts(["a1", "b1", "a2"]), index)
    assign_batch(arts(["b2", "a3", "b3"]), index)
    assert partition(story_labels(index)) == EXPECTED


def test_order_inside_a_batch_does_not_matter() -> None:
    ids = list(TEXTS)
    seen = set()
    for seed in range(5):
        random.Random(seed).shuffle(ids)
        index = StoryIndex()
        assign_batch(arts(ids), index)
        seen.add(frozenset(partition(story_labels(index))))
    assert len(seen) == 1


def test_a_story_bigger_than_recluster_max_size_joins_as_one_frozen_unit() -> None:
    index = StoryIndex(Params(recluster_max_size=1))
    assign_batch(arts(["a1", "a2", "b1", "b2"]), index)
    out = assign_batch(arts(["a3", "b3"]), index)
    assert index.last_neighbourhood == 2 + 2  # the batch one by one, each story whole
    assert {a.reason for a in out} == {"attached"}
    assert partition(story_labels(index)) == EXPECTED


def test_the_neighbourhood_stays_within_its_budget_best_candidates_first() -> None:
    full = StoryIndex()
    assign_batch(arts(["a1", "a2", "b1", "b2"]), full)
    assign_batch(arts(["a3", "b3"]), full)
    assert full.last_neighbourhood == 6  # both stories, every member

    tight = StoryIndex(Params(max_neighbourhood=4))
    assign_batch(arts(["a1", "a2", "b1", "b2"]), tight)
    out = assign_batch(arts(["a3"]), tight)
    # a3 and its best candidate (a1, a2): story b would pass the budget, so it stays out
    assert tight.last_neighbourhood == 3
    assert out[0].reason == "attached" and out[0].runner_up is None
    assign_batch(arts(["b3"]), tight)
    assert partition(story_labels(tight)) == EXPECTED


def test_a_linked_story_over_the_budget_joins_frozen_and_keeps_its_version() -> None:
    index = StoryIndex(Params(max_neighbourhood=2))
    assign_batch(arts(["a1", "a2", "b1", "b2"]), index)
    assign_batch(arts(["b3"]), index, must_link=[["b3", "a1"]])  # as if b3 were a1's copy
    assert index.last_neighbourhood == 2  # b3 and story a as one unit, story b left out
    labels = story_labels(index)
    assert labels["b3"] == labels["a1"] == labels["a2"]


def test_assignments_explain_the_decision() -> None:
    index = StoryIndex()
    assign_batch(arts(["a1", "a2", "b1"]), index)
    out = assign_batch(arts(["a3", "b2"]), index)
    for a in out:
        assert a.reason == "attached"
        assert a.score >= a.threshold
        assert set(a.space_scores) == {"words", "entities", "numbers"}
        assert a.time_factor == 1.0  # no dates: the time term is neutral
        assert a.runner_up is not None and a.margin > 0


def test_time_term_is_neutral_without_dates_and_splits_far_apart_dates() -> None:
    day = datetime(2024, 1, 1)
    undated = StoryIndex()
    assign_batch(arts(list(TEXTS)), undated)
    same_day = StoryIndex()
    assign_batch(arts(list(TEXTS), day), same_day)
    assert partition(story_labels(undated)) == partition(story_labels(same_day))

    windowed = StoryIndex(replace(Params(), window_days=7))
    assign_batch(arts(["a1", "a2"], day), windowed)
    out = assign_batch(arts(["a3"], day + timedelta(days=30)), windowed)
    assert out[0].reason == "new"  # the old story was closed by the window
    assert all(s.closed for s in windowed.stories.values() if "a1" in s.members)


def test_a_date_only_time_is_compared_as_the_whole_day() -> None:
    """A page dated 2024-01-01 may have been out at 21:00: against a report of 21:00 that
    day the time term is neutral, and a day later it counts from the day's end, not from
    midnight. An exact time of midnight is not stretched."""

    day = datetime(2024, 1, 1)
    a1, a2 = arts(["a1", "a2"])
    df = DocFreq()
    df.add(a1)
    df.add(a2)
    dated = replace(a1, published=day, precision="day")
    evening = replace(a2, published=day + timedelta(hours=21), precision="second")
    assert dated.latest == day + timedelta(days=1) - timedelta(microseconds=1)
    assert pair_score(dated, evening, df)[2] == 1.0
    exact = replace(dated, precision="second")  # 00:00 exactly: 21 hours before
    assert pair_score(exact, evening, df)[2] < 1.0
    next_evening = replace(evening, published=day + timedelta(hours=45))
    gap_from_end = pair_score(dated, next_evening, df)[2]
    gap_from_midnight = pair_score(exact, next_evening, df)[2]
    assert gap_from_midnight < gap_from_end < 1.0
    # the time factor scales the score; it never stands in for it
    df = DocFreq()
    for art in arts(list(TEXTS)):
        df.add(art)
    undated = pair_score(a1, a2, df)[0]
    combined, _, factor = pair_score(exact, next_evening, df)
    assert undated > 0 and combined == pytest.approx(undated * factor)

    # A story's span runs from its first start to its last end.
    index = StoryIndex()
    rest = [a for a in arts(list(TEXTS)) if a.article_id not in ("a1", "a2")]
    assign_batch([dated, evening, *rest], index)
    story = index.stories[index.story_of["a1"]]
    assert index.story_of["a2"] == story.story_id
    assert story.first_seen == day and story.last_seen == dated.latest


def test_state_round_trips_through_rows() -> None:
    index = StoryIndex()
    assign_batch(arts(["a1", "b1", "a2"]), index)
    restored = StoryIndex.from_rows(index.to_rows())
    assert restored.to_rows() == index.to_rows()
    for ix in (index, restored):
        assign_batch(arts(["b2", "a3", "b3"]), ix)
    assert story_labels(index) == story_labels(restored)


def _lang_arts(texts: dict[str, tuple[str, str]]) -> list[ArticleFeatures]:
    return [
        ArticleFeatures.from_features(i, extract_features("", t, language=lang), None, lang)
        for i, (lang, t) in texts.items()
    ]


def test_two_languages_join_on_several_names_never_on_one() -> None:
    """Content words of two languages are not comparable, so names carry a cross-language
    link alone: several shared names join the German and the English report of one event;
    one shared name (a country) does not join two reports of different events."""
    texts = {
        "de": (
            "de",
            "Der Autobauer Volkswagen hat in Wolfsburg einen neuen Chef vorgestellt. "
            "Herbert Diess folgt auf Matthias Müller, teilte Volkswagen in Wolfsburg mit.",
        ),
        "en": (
            "en",
            "Volkswagen named Herbert Diess as its new chief executive in Wolfsburg on "
            "Thursday, replacing Matthias Müller, Volkswagen said.",
        ),
        "other": (
            "en",
            "Farmers in Bavaria expect a poor harvest after a dry summer, officials in "
            "Germany said, as prices for grain rose again in Germany.",
        ),
        "de2": (
            "de",
            "In Deutschland steigen die Mieten weiter. Deutschland braucht mehr Wohnungen, "
            "sagte die Ministerin am Montag.",
        ),
    }
    arts = _lang_arts(texts)
    filler = _lang_arts(
        {f"f{k}": ("en", f"Local team number {k} won its match against rivals.") for k in range(8)}
    )
    index = StoryIndex()
    assign_batch(filler + arts, index)
    labels = story_labels(index)
    assert labels["de"] == labels["en"]
    assert labels["de2"] != labels["other"]  # "Germany" alone
    one = StoryIndex(replace(Params(), cross_language_names=1))
    assign_batch(filler + arts, one)
    assert story_labels(one)["de2"] == story_labels(one)["other"]  # what the rule prevents


# A German and an English report of one event: the same names, none of the same numbers.
SIEMENS = {
    "en": (
        "en",
        "Siemens will cut 2,700 jobs, chief executive Joe Kaeser said on Thursday. "
        "Siemens expects to save 500 million euros by 2023, Kaeser told reporters, and "
        "unions in Erlangen and Munich called a protest.",
    ),
    "de": (
        "de",
        "Siemens streicht Stellen, sagte Konzernchef Joe Kaeser. Der 1847 gegründete "
        "Konzern will eine halbe Milliarde Euro einsparen, so Kaeser. Die IG Metall in "
        "Nürnberg und Berlin kündigte Widerstand an.",
    ),
}


def test_numbers_that_differ_across_two_languages_are_no_evidence_against() -> None:
    """A German and an English report of one event share their names but none of their
    numbers (the German writes "half a billion", the English "500 million" and a date the
    German leaves out): across two languages that is no evidence against, so the names
    carry the link. Counted as a zero (False), the numbers pull the pair under the
    threshold."""
    texts = SIEMENS
    filler = _lang_arts(
        {f"f{k}": ("en", f"Local team number {k} won its match against rivals.") for k in range(8)}
    )
    en, de = _lang_arts(texts)
    assert en.numbers and de.numbers and not set(en.numbers) & set(de.numbers)
    df = DocFreq()
    for art in [*filler, en, de]:
        df.add(art)
    together = {}
    for neutral in (True, False):
        params = replace(Params(), numbers_neutral_across=neutral)
        score, per, _ = pair_score(en, de, df, params)
        index = StoryIndex(params)
        assign_batch([*filler, en, de], index)
        labels = story_labels(index)
        together[neutral] = (score >= params.threshold, labels["en"] == labels["de"])
        assert ("numbers" in per) is not neutral
    assert together == {True: (True, True), False: (False, False)}
    # within one language, numbers that differ still count against
    en2 = replace(de, language="en")
    assert "numbers" in pair_score(en, en2, df)[1]


def test_one_shared_name_of_few_is_not_a_perfect_match() -> None:
    """Two reports that each name one or two things and share one (a holiday island)
    are not alike on names the way two reports sharing all their many names are."""
    from mediawatch.cluster.stories import DocFreq, pair_score

    texts = {
        "x": "Tourists stayed away from Majorca this winter as hotels closed for the season.",
        "y": "A man died after a fall at the airport in Majorca on Sunday, police said.",
        "z": "Rafael Nadal beat Novak Djokovic in Madrid on Sunday, and Nadal thanked Carlos Moya.",
        "w": "In Madrid, Nadal and Djokovic met again; Djokovic praised Nadal and Carlos Moya.",
    }
    arts = {
        i: ArticleFeatures.from_features(i, extract_features("", t, language="en"), None, "en")
        for i, t in texts.items()
    }
    df = DocFreq()
    for a in arts.values():
        df.add(a)
    for k in range(20):  # an archive around them
        df.add(
            ArticleFeatures.from_features(
                f"f{k}", extract_features("", f"Team {k} won its match in Paris.", language="en")
            )
        )
    bare = replace(Params(), names_pseudo=0.0)
    few, few_bare = (
        pair_score(arts["x"], arts["y"], df)[1],
        pair_score(arts["x"], arts["y"], df, bare)[1],
    )
    many = pair_score(arts["z"], arts["w"], df)[1]
    assert few_bare["entities"] == 1.0  # without pseudo-names: as alike as can be
    assert few["entities"] < 0.8 < many["entities"]


def _council_news() -> list[ArticleFeatures]:
    """Thirty reports of one council vote: an archive for the IDF of the pages under test."""
    return _lang_arts(
        {
            f"n{k}": (
                "en",
                f"The council of Leeds met on Monday and voted {k} to 3 on the budget, "
                "Mayor Jane Hill said.",
            )
            for k in range(30)
        }
    )


def _frequencies(articles: list[ArticleFeatures]) -> DocFreq:
    """The document frequencies of ``articles``: an archive as the clusterer counts it."""
    df = DocFreq()
    for art in articles:
        df.add(art)
    return df


def test_two_pages_that_name_nothing_need_more_than_shared_vocabulary() -> None:
    """Two recipes share kitchen words and quantities, rare in a news archive, and name
    nobody: the names space counts as a zero for them, not as absent, so the shared
    vocabulary does not make them one story."""
    texts = {
        "cake": "Preheat the oven to 180 degrees. Whisk 200 grams of butter with 150 grams of "
        "sugar until pale, then fold in the flour and bake for 25 minutes. Let the cake cool "
        "before you spread the buttercream over it.",
        "truffles": "Mix 100 grams of peanut butter with 150 grams of icing sugar, roll the "
        "mixture into small balls, chill them in the fridge for an hour and dip the truffles "
        "in melted dark chocolate before serving.",
    }
    pages = _lang_arts({i: ("en", t) for i, t in texts.items()})
    assert not any(a.entities for a in pages)
    news = _council_news()
    together = {}
    for weight in (Params().nameless_weight, 0.0):
        index = StoryIndex(replace(Params(), nameless_weight=weight))
        assign_batch(news + pages, index)
        labels = story_labels(index)
        together[weight] = labels["cake"] == labels["truffles"]
    assert together == {Params().nameless_weight: False, 0.0: True}


def test_two_reviews_that_name_different_things_are_different_stories() -> None:
    """Two reviews of heated work jackets share their whole vocabulary, and each names
    its own maker and shop: named on both sides with no name in common, they are two
    stories however alike their words (``names_apart``); without the rule they join."""
    texts = {
        "first": "The Milwaukee heated jacket kept me warm on the building site in Duluth. "
        "Its battery heats the chest and back panels for five hours on the low setting, "
        "and the shell shrugs off wind and rain. Milwaukee sells a spare battery.",
        "second": "The DeWalt heated jacket kept me warm on the building site in Calgary. "
        "Its battery heats the chest and back panels for five hours on the low setting, "
        "and the shell shrugs off wind and rain. DeWalt sells a spare battery.",
    }
    pages = _lang_arts({i: ("en", t) for i, t in texts.items()})
    assert all(a.entities for a in pages)
    news = _council_news()
    together = {}
    for rule in (True, False):
        index = StoryIndex(replace(Params(), names_apart=rule))
        assign_batch(news + pages, index)
        labels = story_labels(index)
        together[rule] = labels["first"] == labels["second"]
    assert together == {True: False, False: True}
    df = DocFreq()
    for art in news + pages:
        df.add(art)
    score, per, _ = pair_score(pages[0], pages[1], df)
    assert per["entities"] == 0.0 and per["words"] > 0.9 and score == 0.0


# Two care guides of one plant from two sites: the same advice, names and numbers.
GUIDES = {
    "guide-a": "How to care for Bougainvillea in pots\n"
    "Bougainvillea flowers best in full sun and dry soil, so give the pot the sunniest spot "
    "of the terrace and let the compost dry out between waterings. The Royal Horticultural "
    "Society advises a feed rich in potassium from April to August, and a hard prune after "
    "the first flush of bracts, cutting the long shoots back by a third. Bring the pot "
    "inside before the first frost: Bougainvillea survives a winter at ten degrees if you "
    "water it once a month and keep it in a bright room.",
    "guide-b": "Bougainvillea care: sun, little water and a hard prune\n"
    "Grown in a pot, Bougainvillea wants full sun and dry compost: water it only when the "
    "top of the soil is dry. Feed it with a potassium-rich fertiliser from April to August, "
    "as the Royal Horticultural Society recommends, and prune hard once the first bracts "
    "fade, taking a third off the long shoots. Before frost, move it indoors to a bright "
    "room at about ten degrees and water it once a month until spring.",
}


def test_web_pages_that_state_no_time_need_more_than_topical_likeness() -> None:
    """Two care guides say the same things with the same names: as two single articles
    they score as one story. Web pages that state no publication time anywhere are not
    events in time (``dateless_apart``): they stay apart, and so does one of them with a
    dated page. Text given without a time says nothing (neutral), and two pages of one
    day still join."""
    news = _council_news()
    plain = _lang_arts({k: ("en", t) for k, t in GUIDES.items()})
    day = datetime(2026, 5, 4, 9, 0)
    cases = {
        "plain text, no time": plain,
        "pages of one day": [replace(a, published=day, precision="minute") for a in plain],
        "pages stating no time": [replace(a, precision=NO_TIME) for a in plain],
        "one page stating none": [replace(plain[0], precision=NO_TIME), plain[1]],
    }
    assert all(a.dateless for a in cases["pages stating no time"])
    df = DocFreq()
    for art in news + plain:
        df.add(art)
    together, scores = {}, {}
    for name, pages in cases.items():
        index = StoryIndex()
        assign_batch(news + pages, index)
        labels = story_labels(index)
        together[name] = labels["guide-a"] == labels["guide-b"]
        scores[name] = pair_score(*pages, df)
    assert together == {
        "plain text, no time": True,
        "pages of one day": True,
        "pages stating no time": False,
        "one page stating none": False,
    }
    assert scores["plain text, no time"][0] >= 0.9 and scores["plain text, no time"][2] == 1.0
    penalised = scores["pages stating no time"]
    assert penalised[2] == 1.0 - Params().time_weight and penalised[0] < Params().threshold
    # without the rule, a page that states no time is neutral, as text without one
    index = StoryIndex(replace(Params(), dateless_apart=False))
    assign_batch(news + cases["pages stating no time"], index)
    assert story_labels(index)["guide-a"] == story_labels(index)["guide-b"]


BUTTERCREAM = (
    "Beat the soft butter for five minutes until it is pale and fluffy. Add the sifted "
    "icing sugar one cup at a time, beating well after each cup, then pour in the vanilla "
    "and the milk. Beat again for three minutes until the buttercream is light and smooth. "
    "If it is too stiff, add a spoon of milk; if it is too soft, add more sugar. Spread the "
    "buttercream over the cooled cake with a palette knife, or pipe it on the cupcakes with "
    "a star nozzle. Keep what is left in the fridge in a closed box for up to a week, and "
    "beat it again before you use it, so that it is soft and smooth once more."
)


def test_a_long_page_that_names_nothing_joins_no_story_on_words_alone() -> None:
    """A recipe of a hundred words that names nobody gets a name of its own, so another
    site's recipe with the same words does not join it, even when that one names its
    bakery (one named side used to leave the names space out, and the words decided).
    A short brief that names nothing gets no such name: it may still join a story."""
    named = BUTTERCREAM.replace("Beat the soft butter", "At Magnolia Bakery we beat the butter")
    pages = _lang_arts({"plain": ("en", BUTTERCREAM), "bakery": ("en", named)})
    assert names_nothing(pages[0].entities) and not names_nothing(pages[1].entities)
    assert "magnoli" in pages[1].entities
    short = extract_features("", "Beat the soft butter for five minutes, then add the sugar.")
    assert short.entities == {}
    # Steps that open with one verb ("Add ...", twice, never in lowercase) name nothing
    # either: a word that only opens sentences is no name in a text that names nothing.
    steps = (
        BUTTERCREAM.replace("Beat again", "Add the cream. Beat again")
        .replace("If it is too stiff, add", "Add lemon zest if you like. If too stiff, pour in")
        .replace("add more sugar", "sift in more sugar")
    )
    assert " add " not in steps and steps.count(". Add ") == 3
    assert names_nothing(extract_features("", steps).entities)
    assert "add" in extract_features("", "Add the cream. Add the zest. Ask Ann Lee.").entities
    news = _council_news()
    together = {}
    for rule in (True, False):
        arts = pages if rule else [replace(pages[0], entities={}), pages[1]]
        index = StoryIndex()
        assign_batch(news + arts, index)
        labels = story_labels(index)
        together[rule] = labels["plain"] == labels["bakery"]
    assert together == {True: False, False: True}


def test_a_consent_notice_is_not_part_of_the_story() -> None:
    """A cookie banner that extraction let through adds no story terms."""
    from .test_match import CONSENT_DE

    text = (
        "Schweiz schränkt die Ausfuhr von Schutzmasken ein\n"
        "Die Regierung in Bern hat am Mittwoch die Ausfuhr von Schutzmasken und Handschuhen "
        "bis Ende April verboten."
    )
    bare = extract_features("", text, 2.0, "de")
    framed = extract_features("", text + "\n" + CONSENT_DE, 2.0, "de")
    assert framed == bare
    assert extract_features("", CONSENT_DE, 2.0, "de") != bare


# A paragraph two pages on one topic both carry further down: the same product, the same
# names, the same words.
KEYBOARD = (
    "The 16-inch MacBook Pro brought back the scissor keyboard that Apple dropped in 2015, "
    "after four years of complaints about the butterfly design. Reviewers praised the "
    "travel of the keys, the physical Escape key and the inverted-T arrow keys, and "
    "Apple says the new mechanism is more reliable. The MacBook Pro starts at $2,399 with "
    "a six-core Intel processor, 16 gigabytes of memory and a 512-gigabyte drive."
)
OPENINGS = {
    # Two reports of one event open with the same who and what ...
    "kuo": (
        "Apple to put scissor keyboard in 13-inch MacBook Pro next year",
        "Apple will launch a 13-inch MacBook Pro with a scissor keyboard in the first half of "
        "next year, the analyst Ming-Chi Kuo of TF International Securities wrote in a note "
        "to investors on Wednesday, as the company moves every notebook it sells away from "
        "the troubled butterfly keyboard before the summer. Kuo has a strong record on "
        "the company's supply chain, and his previous notes on the iPhone were right.",
    ),
    "kuo2": (
        "Kuo: 13-inch MacBook Pro gets scissor keyboard in early 2020",
        "The analyst Ming-Chi Kuo expects Apple to launch a 13-inch MacBook Pro with the "
        "scissor keyboard in the first half of next year, according to a research note from "
        "TF International Securities seen on Wednesday, ending the butterfly keyboard era "
        "across the notebook line before the summer. His previous notes on the company's "
        "suppliers and on the iPhone have usually proved right.",
    ),
    # ... a deals page about the same products opens with something else entirely.
    "deals": (
        "Black Friday: Amazon cuts laptop and headphone prices",
        "Amazon has cut prices across laptops, headphones and smart speakers ahead of Black "
        "Friday, with discounts of up to a third on last season's models and free delivery "
        "on orders placed before midnight on Sunday; our shopping editors picked the best "
        "bargains from the retailer's holiday sale for you below. Prices change quickly, "
        "so check the listing before you order anything.",
    ),
}


def _opened(ids: tuple[str, ...]) -> list[ArticleFeatures]:
    return [
        ArticleFeatures.from_features(
            i, extract_features(OPENINGS[i][0], OPENINGS[i][1] + "\n" + KEYBOARD), None, "en"
        )
        for i in ids
    ]


def test_the_lead_holds_the_title_and_the_first_words() -> None:
    title, opening = OPENINGS["deals"]
    short = extract_features(title, opening)
    assert {"amazon", "laptop", "friday", "headphon"} <= short.lead  # title, first sentence
    assert "anyth" in short.words and "anyth" not in short.lead  # after 60 words
    long = extract_features(title, opening + "\n" + KEYBOARD)
    assert long.lead == short.lead
    assert {"scissor", "keyboard", "reviewer"} <= set(long.words) - long.lead


def test_pages_that_share_a_topic_but_not_a_lead_are_different_stories() -> None:
    """A deals page and a report share a whole paragraph about one product (its names,
    its words), but their titles and first sentences share nothing rare: two stories.
    Two reports of one event (the same who and what in their openings) still join.
    Without the lead gate the deals page joins them."""
    pages = _opened(("kuo", "deals", "kuo2"))
    news = _council_news()
    df = DocFreq()
    for art in news + pages:
        df.add(art)
    kuo, deals, kuo2 = pages
    assert pair_lead(kuo, kuo2, df) >= Params().lead_min > pair_lead(kuo, deals, df)
    assert pair_score(kuo, deals, df)[0] == 0.0
    assert pair_score(kuo, deals, df, replace(Params(), lead_min=0.0))[0] >= Params().threshold
    stories = {}
    for gate in (Params().lead_min, 0.0):
        index = StoryIndex(replace(Params(), lead_min=gate))
        assign_batch(news + pages, index)
        labels = story_labels(index)
        stories[gate] = (labels["kuo"] == labels["kuo2"], labels["kuo"] == labels["deals"])
    assert stories == {Params().lead_min: (True, False), 0.0: (True, True)}


# Four pages on one topic whose openings link only in a chain: the first two open with an
# analyst's note, the second and third with a retailer's discount, the last two with a
# repair shop's teardown. No opening shares anything rare with the page two links away.
CHAIN = {
    "note": (
        "Analyst Ming-Chi Kuo sees scissor switches in every notebook by summer",
        "The analyst Ming-Chi Kuo of TF International Securities told investors in a research "
        "note on Wednesday that every notebook on the roadmap will use scissor switches by "
        "the summer, citing checks with suppliers in Taiwan and Suzhou. His forecasts on "
        "component orders have usually proved accurate, and several brokerages repeated his "
        "estimate within hours, lifting shares of the Taiwanese assemblers.",
    ),
    "note-and-discount": (
        "Kuo's investor note lands as Costco cuts prices",
        "A day after Ming-Chi Kuo told investors in a research note about the Taiwan "
        "suppliers, Costco started a members-only markdown of $150 at its warehouses across "
        "Ohio, Texas and Oregon. Shoppers queued before opening time at several locations, "
        "staff said, and one branch near Portland had sold out by lunchtime, while the "
        "retailer's website listed deliveries slipping into December.",
    ),
    "discount-and-teardown": (
        "Costco members-only markdown arrives as iFixit posts teardown",
        "Costco's members-only markdown of $150 at warehouses came on the same morning that "
        "iFixit published its teardown, with a spudger and a pentalobe screwdriver. Bargain "
        "hunters who bought one at a branch could watch the repair guide while standing in "
        "the car park, several customers joked on Reddit, although few admitted they would "
        "ever open the case themselves.",
    ),
    "teardown": (
        "iFixit teardown: spudger, pentalobe screwdriver and a glued battery",
        "In its teardown iFixit opened the bottom case with a pentalobe screwdriver, pried "
        "the logic board loose with a spudger and found the battery glued to the palm rest, "
        "which lowered the repairability score to three out of ten. The fans, speakers and "
        "trackpad cable come out easily, the repair technicians wrote, but the solid-state "
        "storage is soldered.",
    ),
}


def _chain_pages() -> list[ArticleFeatures]:
    return [
        ArticleFeatures.from_features(k, extract_features(t, o + "\n" + KEYBOARD), None, "en")
        for k, (t, o) in CHAIN.items()
    ]


def test_openings_that_link_only_in_a_chain_do_not_make_one_story() -> None:
    """A like B, B like C, C like D: each page's opening shares rare words with its
    neighbour's only. That is a topic, not an event: in a story of four or more each
    article's lead must pass with at least two of the others (``lead_mates``), and a
    page joins a story only when it opens like the story's lead core (``lead_core``):
    either rule alone keeps the four apart; with the best pair enough (both 0) they
    chain into one."""
    news = _council_news()
    pages = _chain_pages()
    df = _frequencies(news + pages)
    ids = list(CHAIN)
    passing = {
        (a.article_id, b.article_id)
        for a in pages
        for b in pages
        if a.article_id < b.article_id and (pair_lead(a, b, df) or 0.0) >= Params().lead_min
    }
    chain = {tuple(sorted(ids[k : k + 2])) for k in range(3)}
    assert passing == chain
    together = {}
    rules = {"mates": (Params().lead_mates, 0.0), "core": (0, Params().lead_core), "none": (0, 0.0)}
    for name, (mates, core) in rules.items():
        index = StoryIndex(replace(Params(), lead_mates=mates, lead_core=core))
        assign_batch(news + pages, index)
        labels = story_labels(index)
        together[name] = max(Counter(labels[k] for k in ids).values())
    assert together["none"] == 4
    assert together["mates"] < 4
    assert together["core"] < 4


def test_an_analysts_merge_of_a_chain_still_takes_new_reports() -> None:
    """A forced group (an analyst's merge, a duplicate group) counts as one article with
    all its openings: the chain an analyst merged stays one story, and a new report that
    opens like one of its pages joins it, although the teardown page opens like none of
    the new report's neighbours."""
    news = _council_news()
    pages = _chain_pages()
    ids = [a.article_id for a in pages]
    index = StoryIndex()
    assign_batch(news + pages, index, must_link=[ids])
    assert len({story_labels(index)[k] for k in ids}) == 1
    opening = CHAIN["note"][1]
    again = ArticleFeatures.from_features(
        "note-again",
        extract_features(
            "Kuo: scissor switches across the notebook line by summer",
            opening.replace("told investors", "wrote to investors") + "\n" + KEYBOARD,
        ),
        None,
        "en",
    )
    assign_batch([again], index, must_link=[ids])
    labels = story_labels(index)
    assert labels["note-again"] == labels["note"] == labels["teardown"]


# Two reports of one event (a bridge closed), each with a paragraph on the detours, and a
# long weekly roundup of the city's transport whose first item names the event in one
# line: the roundup shares the reports' topic words throughout, their event in one passage.
DETOURS = (
    "Commuters in Port Elwood face long detours: the ferries will run every ten minutes "
    "at peak hours, extra buses will serve the western suburbs, and the council asked "
    "drivers to avoid the waterfront until traffic settles. Cyclists can use the rail "
    "corridor path, which the council opened early, and parking at the ferry terminals "
    "will be free for commuters who leave their cars there."
)
BRIDGE = {
    "bridge": (
        "Harbour Bridge shut after engineers find crack in main girder",
        "The Harbour Bridge was closed to all traffic on Tuesday after engineers found a "
        "crack in a main steel girder during a routine inspection, the chief engineer Dana "
        "Whitlock said. Transport minister Aroha Keane said the span would stay shut until "
        "the girder was repaired or braced, which could take three weeks, and ordered "
        "inspections of the two older crossings upstream.",
    ),
    "bridge2": (
        "Cracked girder closes Harbour Bridge for weeks",
        "Engineers found a crack in one of the Harbour Bridge's main steel girders during a "
        "routine inspection and the span was closed to traffic on Tuesday, chief engineer "
        "Dana Whitlock told reporters. Minister Aroha Keane said repairs or bracing could "
        "take three weeks and ordered the two older crossings upstream inspected as well. "
        "The girder carries the northbound lanes and was last checked in March.",
    ),
}
ROUNDUP_ITEMS = [
    "1. The Harbour Bridge stays shut, see our report.",
    (
        "2. Ferry timetables change on Monday. Commuters get a ferry every ten minutes at "
        "peak hours from the western terminals, the operator said, and the late-night ferries"
        " to the islands run on Fridays again. Parking at the ferry terminals stays free for "
        "commuters through December, and bicycles ride on ferries at no charge."
    ),
    (
        "3. Bus fares go up by twenty cents. The council approved the rise for buses across "
        "the western suburbs, with the money going to extra buses at peak hours. Drivers' "
        "unions asked the council to delay it until congestion settles, and pensioners keep "
        "their free off-peak travel on all buses."
    ),
    (
        "4. The rail corridor cycle path opens early. Cyclists can ride the new path from the"
        " waterfront to the western suburbs from Saturday; the council says it will cut "
        "congestion at the waterfront and give commuters a safer way to the ferry terminals."
    ),
    (
        "5. Waterfront parking shrinks. The council is removing two hundred parking spaces "
        "along the waterfront for wider footpaths, and asks drivers to use the park and ride "
        "sites in the western suburbs, where buses and ferries connect commuters to the "
        "centre every few minutes at peak hours."
    ),
    (
        "6. Night buses return. From Friday the night buses run again from the waterfront to "
        "the western suburbs every half hour, the council said, after drivers agreed a new "
        "roster; commuters on late shifts at the ferry terminals asked for them all year, and"
        " the first and last night buses wait for the late ferries."
    ),
    (
        "8. Taxi ranks move. The taxi ranks at the ferry terminals move to the bus lanes on "
        "the waterfront from Monday, the council said, so that buses and taxis share one "
        "kerb; commuters arriving on late ferries will see the rank next to the night buses, "
        "and drivers may wait there for twenty minutes at most."
    ),
    (
        "9. Scooter hire expands. Two operators will put electric scooters at the ferry "
        "terminals and in the western suburbs, the council said, with parking bays marked on "
        "the footpaths; commuters pay by the minute, and riders under eighteen need a "
        "parent's consent."
    ),
    (
        "7. Roadworks on the waterfront road. Crews resurface the waterfront road at night "
        "for a fortnight, so drivers should expect one lane each way after eight in the "
        "evening; buses keep their stops, and the council says congestion to the ferry "
        "terminals will flow as usual during the day for commuters and cyclists."
    ),
]
ROUNDUP_TITLE = "Five things to know about getting around Port Elwood this week"


def _bridge_pages() -> list[ArticleFeatures]:
    pages = [
        ArticleFeatures.from_features(k, extract_features(t, o + "\n" + DETOURS), None, "en")
        for k, (t, o) in BRIDGE.items()
    ]
    roundup = extract_features(ROUNDUP_TITLE, "\n".join(ROUNDUP_ITEMS))
    return [*pages, ArticleFeatures.from_features("roundup", roundup, None, "en")]


def test_spread_counts_the_passages_a_word_occurs_in() -> None:
    roundup = extract_features(ROUNDUP_TITLE, "\n".join(ROUNDUP_ITEMS))
    n = roundup.spread[""]
    assert n >= 5  # passages of ECHO_WINDOW tokens
    assert passage_share(roundup.words, roundup.spread, "girder") == 0.0  # not in the text
    assert passage_share(roundup.words, roundup.spread, "bridg") == 1 / n  # in one item
    assert passage_share(roundup.words, roundup.spread, "commuter") >= 0.6  # throughout
    short = extract_features("Bridge shut", BRIDGE["bridge"][1])
    assert short.spread == {} and passage_share(short.words, short.spread, "girder") == 1.0


def test_a_roundup_that_names_an_event_in_one_item_is_not_its_story() -> None:
    """The roundup opens with the bridge (its lead passes the gate with one report's) and
    shares the reports' topic words throughout, but names the bridge in one passage of
    many: the summed rarity of a report's lead words times the share of the roundup's
    passages holding them stays under ``echo_min``. The two reports echo each other
    throughout and join; without the echo test (0) the roundup joins them."""
    news = _council_news()
    pages = _bridge_pages()
    df = _frequencies(news + pages)
    bridge, bridge2, roundup = pages
    assert pair_lead(bridge, roundup, df) >= Params().lead_min  # the openings link
    assert pair_echo(bridge, roundup, df) < Params().echo_min < pair_echo(bridge, bridge2, df)
    assert pair_score(bridge, roundup, df)[0] == 0.0
    loose = replace(Params(), echo_min=0.0)
    assert pair_score(bridge, roundup, df, loose)[0] >= Params().threshold
    together = {}
    for echo in (Params().echo_min, 0.0):
        index = StoryIndex(replace(Params(), echo_min=echo))
        assign_batch(news + pages, index)
        labels = story_labels(index)
        together[echo] = (
            labels["bridge"] == labels["bridge2"],
            labels["bridge"] == labels["roundup"],
        )
    assert together == {Params().echo_min: (True, False), 0.0: (True, True)}


# A morning digest as extraction writes a list ("- " items): the bridge is its first item,
# one of twelve; the others are other news of the city.
DIGEST_TITLE = "Ten things you need to know this morning"
DIGEST_ITEMS = [
    "The Harbour Bridge is closed after engineers found a crack in a girder.",
    "Bus fares in the western suburbs rise by twenty cents from Monday, the council confirmed.",
    "The night market on Quay Street returns on Friday with forty food stalls and live music.",
    "Minister Aroha Keane opened the new maternity wing at Eastgate Hospital on Monday.",
    "The city library extends its weekend opening hours and adds a reading room for students.",
    "A new playground opens in Kowhai Park after two years of fundraising by local parents.",
    "Drivers should expect detours on the waterfront while crews resurface the road at night.",
    "The regional rugby final sold out within an hour; fans can watch it in the square.",
    "Forecasters expect a dry, sunny weekend with light winds across the coast.",
    "The zoo welcomed twin red panda cubs, its first births of the species in a decade.",
    "A jazz festival brings thirty bands to the old wool store over the long weekend.",
    "Volunteers planted two thousand native trees along the river on Sunday.",
]


def test_a_digest_in_list_form_counts_its_items_as_passages() -> None:
    """A digest opens with the bridge closure (its lead passes the gate with a report's)
    and is short: in passages of ECHO_WINDOW tokens it names the bridge in one of two,
    which echoes the report's lead enough to join it. Written as a list, its passages are
    its lines, and the bridge is in one of thirteen: it stays out of the story."""
    news = _council_news()
    reports = _bridge_pages()[:2]
    together = {}
    for marker in ("- ", ""):
        digest = extract_features(DIGEST_TITLE, "\n".join(marker + x for x in DIGEST_ITEMS))
        assert digest.spread[""] == (len(DIGEST_ITEMS) + 1 if marker else 2)
        art = ArticleFeatures.from_features("digest", digest, None, "en")
        df = DocFreq()
        for a in [*news, *reports, art]:
            df.add(a)
        assert pair_lead(reports[0], art, df) >= Params().lead_min
        index = StoryIndex()
        assign_batch([*news, *reports, art], index)
        labels = story_labels(index)
        assert labels["bridge"] == labels["bridge2"]
        together[marker] = labels["bridge"] == labels["digest"]
    assert together == {"- ": False, "": True}
    # most of a text in items, or no list: a few bullets in a report change nothing
    report = BRIDGE["bridge"][1] + "\n- Inspections upstream.\n- Detours signposted."
    assert extract_features("Bridge shut", report + "\n" + DETOURS).spread[""] == 2


def test_an_article_stored_without_a_lead_is_not_gated() -> None:
    """Terms stored by an older release have no lead: such pairs are scored as before
    (``mediawatch reindex`` gives them one)."""
    kuo, deals = _opened(("kuo", "deals"))
    df = DocFreq()
    for art in [*_council_news(), kuo, deals]:
        df.add(art)
    old = replace(deals, lead=None)
    assert pair_lead(kuo, old, df) is None
    assert pair_score(kuo, old, df)[0] >= Params().threshold
    # in another language the words do not compare: no gate either
    assert pair_lead(kuo, replace(deals, language="de"), df) is None
    assert pair_lead(kuo, replace(deals, language=None), df) is None  # unknown: as the words
    assert pair_lead(replace(kuo, language=None), replace(deals, language=None), df) == (
        pair_lead(kuo, deals, df)
    )


def test_a_young_archive_does_not_call_an_events_own_words_common() -> None:
    """In an archive of an event's first reports the event's words are in most
    documents, so by the archive's own counts they look common; rarity is judged as if
    ``lead_prior_docs`` more documents had been seen. In a big archive that changes little.
    (tests/test_retention.py: a follow-up weeks later joins its story through this.)"""
    kuo, kuo2, deals = _opened(("kuo", "kuo2", "deals"))
    young = DocFreq()
    for art in (kuo, kuo2, deals):
        young.add(art)
    prior = Params().lead_prior_docs
    alone = lead_weights(kuo, young)
    assert alone is not None and alone["kuo"] < 0.25  # in 2 of 3 documents
    assert lead_weights(kuo, young, prior)["kuo"] > 0.7
    big = DocFreq()
    for art in [*_council_news(), *_council_news(), *_council_news(), kuo, kuo2, deals]:
        big.add(art)
    assert abs(lead_weights(kuo, big, prior)["kuo"] - lead_weights(kuo, big)["kuo"]) < 0.1


# A champion's two title defences, four years apart: the same names (but the opponent),
# the same words, the same single-digit counts; different dates, years and figures.
DEFENCES = {
    "a": dict(rival="Maro Okafor", last="Okafor", round="seventh", date="March 9, 2019",
              crowd="14,200", age="34", record="52-3", kos="46", purse="$12.5 million"),
    "b": dict(rival="Tomas Reyes", last="Reyes", round="sixth", date="July 22, 2023",
              crowd="21,500", age="38", record="61-3", kos="53", purse="$17.8 million"),
}  # fmt: skip
DEFENCE_TITLES = [
    "Volk stops {last} in the {round} round to keep his heavyweight belts",
    "Darius Volk retains world titles against {rival}",
    "Volk too strong for {last} in Hallenberg",
    "Champion Volk beats {rival} to defend WBA and IBF crowns",
    "{last} no match for Volk as the champion keeps his belts",
    "Volk defends heavyweight titles, {last} stopped in round",
    "Heavyweight king Volk sees off {rival}",
]
DEFENCE_SENTENCES = [
    "Darius Volk retained his WBA and IBF heavyweight titles on Saturday, stopping {rival} "
    "in the {round} round in Hallenberg on {date}.",
    "A crowd of {crowd} watched at the Hallenberg Arena.",
    "Volk, {age}, improved his record to {record} with {kos} knockouts.",
    "{last} was knocked down 3 times before the referee waved it off with 2 minutes left in "
    "the round.",
    "Volk landed 4 clean right hands in the round and said he felt in control from the 1st bell.",
    "The champion's purse was reported at {purse}.",
    "{last} had promised to take the belts home, but the 2 judges' cards had him behind on "
    "every round.",
]


def _defence(event: str) -> list[ArticleFeatures]:
    """Seven reports of one defence, each of six of the seven sentences in its own order."""
    facts = DEFENCES[event]
    out = []
    for k, title in enumerate(DEFENCE_TITLES):
        order = DEFENCE_SENTENCES[k:] + DEFENCE_SENTENCES[:k]
        body = " ".join(s.format(**facts) for s in order[:6])
        features = extract_features(title.format(**facts), body)
        out.append(ArticleFeatures.from_features(f"{event}{k}", features))
    return out


def test_the_veto_holds_two_recurring_events_apart_however_big_the_archive() -> None:
    """Two stories of six or more articles whose numbers disagree never join; the veto
    compares their specific numbers (dates, years, figures), not their single-digit
    counts. Counts are in reports of every event, and the more unrelated documents the
    archive holds, the rarer they look: with the counts compared (False), a champion's
    two title defences stay apart in a small archive and become one story in an archive
    of 400 unrelated pages."""
    assert common_quantity("n3") and not common_quantity("n52") and not common_quantity("y2019")
    pages = [
        ArticleFeatures.from_features(
            f"p{k}",
            extract_features(f"Garden note {k}", "Water the roses well; mulch keeps roots cool."),
        )
        for k in range(400)
    ]
    stories = {}
    for specific in (True, False):
        for archive in (0, 400):
            index = StoryIndex(replace(Params(), veto_specific=specific))
            for page in pages[:archive]:
                index.docfreq.add(page)  # counted by the archive, not in the neighbourhood
            assign_batch(_defence("a") + _defence("b"), index)
            stories[specific, archive] = partition(story_labels(index))
    apart = {frozenset(a.article_id for a in _defence(e)) for e in "ab"}
    assert stories[True, 0] == stories[True, 400] == stories[False, 0] == apart
    assert len(stories[False, 400]) == 1


# Two pages of one space-news site on two moons, and a second report of the first.
MOONS: dict[str, tuple[str, str]] = {
    "europa": (
        "Scientists find water vapour above Jupiter's moon Europa",
        "NASA scientists say they have found water vapour above the surface of Europa, an icy"
        " moon of Jupiter.\n"
        "The team used the Keck Observatory in Hawaii to watch the moon on seventeen nights "
        "and saw the vapour once, in April 2016.\n"
        "The amount would fill an Olympic swimming pool within minutes, said Lucas Paganini, "
        "who led the study in Nature Astronomy.\n"
        "Europa is thought to hide a salty ocean beneath its icy crust, and plumes could let "
        "a spacecraft sample that ocean without drilling.\n"
        "NASA plans to launch the Europa Clipper mission in the 2020s to fly past the moon "
        "dozens of times.",
    ),
    "titan": (
        "Scientists publish the first global map of Saturn's moon Titan",
        "NASA scientists have published the first global map of Titan, the largest moon of "
        "Saturn.\n"
        "The map draws on radar images taken by the Cassini spacecraft during more than a "
        "hundred flybys between 2004 and 2017.\n"
        "It shows dunes of organic grains near the equator and lakes of liquid methane near "
        "the poles, said Rosaly Lopes, a planetary geologist at the Jet Propulsion "
        "Laboratory.\n"
        "Titan is the only world besides Earth known to have liquid on its surface, in "
        "rivers, lakes and seas of methane and ethane.\n"
        "Titan is thought to hide a salty ocean beneath its icy crust, as Europa is.\n"
        "NASA plans to launch the Dragonfly drone to Titan in 2026 to study its chemistry.\n"
        "The map appears this week in the journal Nature Astronomy.",
    ),
    "europa2": (
        "Europa's water vapour plume seen from Hawaii's Keck Observatory",
        "The water vapour over Europa was spotted by the Keck Observatory in Hawaii on one of"
        " seventeen nights, Lucas Paganini said.\n"
        "Paganini's team measured enough vapour above the icy moon of Jupiter to fill an "
        "Olympic swimming pool within minutes.\n"
        "The finding in Nature Astronomy supports earlier signs of plumes seen by the Hubble "
        "telescope.\n"
        "The Europa Clipper mission will look for the plumes when it reaches Jupiter.",
    ),
}


def _moons(sites: dict[str, str | None]) -> list[ArticleFeatures]:
    return [
        ArticleFeatures.from_features(k, extract_features(*MOONS[k]), None, "en", site=site)
        for k, site in sites.items()
    ]


def test_two_pages_of_one_site_need_more_in_their_openings() -> None:
    """Two pages of a space-news site on two moons open alike ("NASA scientists ... moon"):
    from two sites that is enough for one story, from one site it is the site's beat
    (``Params.same_site_lead``). A second report of one event from the same site opens with
    the event's own words and joins as before."""
    news = _council_news()
    joined = {}
    for case, sites in {
        "two sites": {"europa": "a.example", "titan": "b.example"},
        "one site": {"europa": "a.example", "titan": "a.example"},
        "sites unknown": {"europa": None, "titan": None},
    }.items():
        europa, titan = _moons(sites)
        df = DocFreq()
        for a in [*news, europa, titan]:
            df.add(a)
        lead = pair_lead(europa, titan, df)
        assert lead is not None
        assert (lead < Params().lead_min) == (case == "one site")
        index = StoryIndex()
        assign_batch([*news, europa, titan], index)
        labels = story_labels(index)
        joined[case] = labels["europa"] == labels["titan"]
    assert joined == {"two sites": True, "one site": False, "sites unknown": True}
    # without the rule the one site's two pages join
    europa, titan = _moons({"europa": "a.example", "titan": "a.example"})
    index = StoryIndex(replace(Params(), same_site_lead=1.0))
    assign_batch([*news, europa, titan], index)
    assert story_labels(index)["europa"] == story_labels(index)["titan"]
    # a follow-up from the same site shares the event's own words: one story
    arts = _moons({"europa": "a.example", "titan": "a.example", "europa2": "a.example"})
    index = StoryIndex()
    assign_batch([*news, *arts], index)
    labels = story_labels(index)
    assert labels["europa"] == labels["europa2"] != labels["titan"]


# Twenty business briefs: "company", "staff" and "office" are in all of them.
FIRMS = [
    "Acme",
    "Bolton",
    "Calder",
    "Denholm",
    "Elland",
    "Farsley",
    "Garforth",
    "Horsforth",
    "Ilkley",
    "Keighley",
    "Lofthouse",
    "Morley",
    "Normanton",
    "Otley",
    "Pudsey",
    "Rothwell",
    "Shipley",
    "Tadcaster",
    "Wetherby",
    "Yeadon",
]
NORTHWIND = {
    "layoffs": (
        "Northwind to lay off two hundred workers this week",
        "Northwind will lay off two hundred workers at its head office this week, the company "
        "said, as it looks for savings after a difficult year.\n"
        "Those affected will be told on Thursday, and most of the cuts fall on the sales and "
        "marketing teams.\n"
        "Unions called the layoffs a betrayal and said they would ballot members on strikes.",
    ),
    "inquiry": (
        "Attorney general investigates Northwind's former owners",
        "The state attorney general is investigating Northwind's former owners over the failed "
        "flotation, the company said at its office, confirming a report by a financial "
        "newspaper.\n"
        "Investigators have asked for emails and board minutes, and want to know whether "
        "shareholders were misled about losses.\n"
        "The company said its staff and its office were not the subject of the inquiry.",
    ),
}


def test_words_common_in_the_language_weigh_little_in_the_lead() -> None:
    """Two reports of two events at one company open with its name and with words of
    every business page ("company", "office"). In an archive of business briefs those
    are not rare, but not as common as they are in the language at large: discounted by
    how common they are in English (mediawatch.text.frequency), the two leads share too
    little; judged by the archive alone, they would join."""
    briefs = [
        ArticleFeatures.from_features(
            f"b{k}",
            extract_features(
                f"{firm} reports its results",
                f"{firm} Holdings reported its results on Monday, and the company thanked its "
                f"staff at the office in {firm}.",
            ),
            None,
            "en",
        )
        for k, firm in enumerate(FIRMS)
    ]
    reports = [
        ArticleFeatures.from_features(k, extract_features(*v), None, "en")
        for k, v in NORTHWIND.items()
    ]
    assert reports[0].common["company"] > 0.5 and "northwind" not in reports[0].common
    archive_only = [replace(r, common={}) for r in reports]
    df = DocFreq()
    for a in [*briefs, *reports]:
        df.add(a)
    assert pair_lead(*reports, df) < Params().lead_min <= pair_lead(*archive_only, df)
    together = {}
    for case, arts in {"language": reports, "archive": archive_only}.items():
        index = StoryIndex()
        assign_batch([*briefs, *arts], index)
        labels = story_labels(index)
        together[case] = labels["layoffs"] == labels["inquiry"]
    assert together == {"language": False, "archive": True}


# Two reports of one event (an airline grounds its jets after an engine fire) and an
# explainer of the same day on the turbine maker's blade checks. The first report's
# opening also names the turbine maker and its inspectors, so the explainer opens like
# that report; what the two reports both open with (the airline, the jets, the fire in
# Lisbon) the explainer does not name. Further down, the reports share a paragraph on
# the fleet, and the explainer a sentence of it.
FLEET = (
    "Vantor Airlines flies eleven Zephyr 900 jets on routes from Lisbon, Porto and Faro. "
    "Each Zephyr carries two engines fitted with Korvel Turbines blades, and the blades "
    "of the whole fleet were last inspected in March by the aviation authority in Lisbon, "
    "which said the Zephyr 900 had flown since 2016 without a comparable failure."
)
FLEET_BLADES = "Korvel Turbines blades are fitted to the Zephyr 900, among other regional jets."
GROUNDED = {
    "report": (
        "Vantor Airlines grounds Zephyr jets after engine fire over Lisbon",
        "Vantor Airlines grounded its Zephyr 900 jets on Tuesday after an engine caught "
        "fire over Lisbon, and inspectors will examine every turbine blade that Korvel "
        "Turbines supplied for the fleet, the carrier said. Travellers booked on the "
        "affected routes this week can rebook without a fee or ask for a refund, and "
        "the company chartered two replacement aircraft from a partner in Madrid to "
        "keep its busiest connections running until the checks end.",
    ),
    "report2": (
        "Zephyr fleet grounded by Vantor Airlines after Lisbon engine fire",
        "The carrier Vantor Airlines kept its Zephyr 900 jets on the ground on Tuesday, a "
        "day after an engine caught fire on a departure from Lisbon with 140 passengers "
        "on board, none of them hurt. The crew shut the burning engine down and turned "
        "back, landing safely twenty minutes later, while firefighters met the plane on "
        "the runway; passengers described smoke in the cabin and a loud bang shortly "
        "after take-off, and several praised the calm of the cabin staff.",
    ),
    "explainer": (
        "How inspectors check a turbine blade for cracks",
        "Korvel Turbines ships each turbine blade with a serial number, and inspectors "
        "look for hairline cracks with ultrasound and dye that glows under ultraviolet "
        "light, a check that takes about forty minutes a blade. Technicians log every "
        "finding in a database shared with regulators, and a blade with a crack deeper "
        "than a tenth of a millimetre is scrapped rather than repaired, which is why "
        "workshops keep spares on their shelves and why the process rarely delays "
        "anybody's travel plans.",
    ),
}


def _grounded() -> list[ArticleFeatures]:
    rest = {k: FLEET if k != "explainer" else FLEET_BLADES for k in GROUNDED}
    return [
        ArticleFeatures.from_features(k, extract_features(t, o + "\n" + rest[k]), None, "en")
        for k, (t, o) in GROUNDED.items()
    ]


def test_a_neighbour_that_opens_like_one_report_not_like_the_story_stays_apart() -> None:
    """The explainer opens like the first report (the turbine maker, its blades, the
    inspectors), not like the second: in a story of two, the pair's best link would let
    it in. A story's lead core is what its reports both open with; the explainer shares
    too little of it (``lead_core``), so it stays out while the two reports join, in one
    batch or ingested after them. Without the core rule (0) it joins them."""
    news = _council_news()
    pages = _grounded()
    df = _frequencies(news + pages)
    report, report2, explainer = pages
    gate = Params().lead_min
    assert pair_lead(report, report2, df) >= gate
    assert pair_lead(report, explainer, df) >= gate > pair_lead(report2, explainer, df)
    together = {}
    for core in (Params().lead_core, 0.0):
        for batches in ([[*news, *pages]], [[*news, report, report2], [explainer]]):
            index = StoryIndex(replace(Params(), lead_core=core))
            for batch in batches:
                assign_batch(batch, index)
            labels = story_labels(index)
            together[core, len(batches)] = {k for k in GROUNDED if labels[k] == labels["report"]}
    core = Params().lead_core
    assert together[core, 1] == together[core, 2] == {"report", "report2"}
    assert together[0.0, 1] == together[0.0, 2] == set(GROUNDED)


def test_a_lead_tally_and_its_core() -> None:
    """One article's core is its whole lead; from two articles of a language on, the
    terms at least two open with, at their mean weight; a forced group counts as one
    article with all its openings; two clusters of different languages are not tested."""
    tally = LeadTally("en", {"vantor": 0.9, "zephyr": 0.8, "fire": 0.2})
    assert tally.core("en") == {"vantor": 0.9, "zephyr": 0.8, "fire": 0.2}
    tally.add(LeadTally("en", {"vantor": 0.7, "turbin": 0.9}))
    assert tally.core("en") == pytest.approx({"vantor": 0.8})
    assert tally.core("fr") == {}
    tally.add(LeadTally("fr", {"vantor": 0.9}))
    assert tally.articles == {"en": 2, "fr": 1}
    neighbour = LeadTally("en", {"turbin": 0.9, "zephyr": 0.8})
    assert not cores_hold(tally, neighbour, 0.6)  # shares nothing of the core
    assert cores_hold(tally, LeadTally("en", {"vantor": 0.9}), 0.6)
    assert cores_hold(tally, LeadTally("de", {"turbin": 0.9}), 0.6)  # no shared language
    assert cores_hold(None, neighbour, 0.6)  # a frozen story: not known
    tally.as_one()
    assert tally.articles == {"en": 1, "fr": 1}
    assert tally.core("en") == pytest.approx(
        {"vantor": 0.8, "zephyr": 0.8, "fire": 0.2, "turbin": 0.9}
    )
    assert cores_hold(tally, neighbour, 0.6)
