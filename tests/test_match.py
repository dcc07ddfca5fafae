"""Unit tests on small hand-written texts (no shared data needed)."""

from __future__ import annotations

import hashlib
import json

from mediawatch.cluster.features import extract_features
from mediawatch.fingerprint import (
    fingerprint,
    fingerprint_many,
    rows_per_article,
    shingles,
    text_hash,
    tokens,
)
from mediawatch.match.groups import Article, DedupIndex
from mediawatch.match.verify import features, longest_shared_passages, verify, verify_features

from .conftest import SEEDS

SOURCE = """City council approves new riverside park plan
The city council voted on Tuesday to approve a plan for a new park along the eastern riverbank, ending two years of debate.
The project will turn a former industrial site into twelve hectares of green space with walking paths and a playground.
Construction is expected to begin next spring and should be finished by the end of 2026, according to the planning department.
Mayor Helen Ortiz said the park would give families in the eastern districts a place to relax close to home.
Critics on the council argued that the estimated cost of 14 million euros was too high for the city budget.
The council also agreed to plant more than 800 trees along the river to reduce flooding during heavy storms."""  # noqa: E501

# sentence-by-sentence paraphrase of SOURCE (like the seed pair)
REWRITE = """Riverside park plan gets green light from councillors
On Tuesday, councillors approved plans for a new park on the eastern bank of the river, closing a debate that lasted two years.
A former industrial site will be turned into a green space of twelve hectares, including a playground and walking paths.
According to the planning department, building work should begin next spring and be finished by the end of 2026.
The park will give families living in the eastern districts a place to relax near their homes, Mayor Helen Ortiz said.
Some council members argued that the estimated cost of 14 million euros was too high for the city's budget.
Councillors also agreed that more than 800 trees will be planted along the river to reduce flooding during storms."""  # noqa: E501

# independent coverage of the SAME event: must not be a duplicate
SAME_EVENT = """Eastern districts to get their first large park
After two years of arguments, the long-awaited riverside park finally has approval.
Local resident groups celebrated outside the town hall as the result was announced.
"We have waited a long time for this," said Anna Berg, who runs a youth football club in the area.
The opposition said it would keep pushing for a cheaper design and questioned the budget.
The site, once home to a chemical factory, will need extensive cleaning before work starts.
Environmental groups welcomed the tree planting but asked for more protection for nesting birds."""

# independent coverage of the same event sharing its facts (names, figures, date)
SAME_EVENT_FACTS = """Riverside park approved after long debate
Families in the eastern districts will get a new riverside park, Mayor Helen Ortiz said on Tuesday after the vote.
The plan was approved by a majority of councillors despite concerns about the 14 million euro price tag.
Opposition members said the money should have gone to schools and road repairs instead.
Work on the twelve-hectare site is due to start in spring, the planning department confirmed.
Residents living near the old industrial area have long complained about dust and noise from the site.
The park is one of several projects the mayor promised during her election campaign two years ago."""  # noqa: E501

# same topic (a council vote on a building plan), different event
SAME_TOPIC = """Town council rejects plan for new car park
The town council voted on Monday to reject a plan for a multi-storey car park near the railway station.
Residents had collected more than 3,000 signatures against the building, which would have replaced a public garden.
Councillor Mark Jensen said the town needed better bus services rather than more parking spaces.
The developer said it was disappointed and would consider submitting a smaller design next year.
Traffic on the station road has doubled over the past decade, according to a recent study.
The decision means the garden will stay open to the public for the time being."""  # noqa: E501


def near_copy_of_source() -> str:
    """Syndicated copy: page furniture, edited headline, three word edits."""
    lines = SOURCE.split("\n")
    lines[0] = "UPDATE: Council approves riverside park plan | The Courier"
    lines[2] = lines[2].replace("former industrial", "disused industrial")
    lines[3] = lines[3].replace("next spring", "early next spring")
    lines[5] = lines[5].replace("too high", "far too high")
    return "\n".join(
        ["Subscribe to our newsletter", *lines, "© 2024 The Courier. All rights reserved."]
    )


def test_rewrite_detected_while_shingles_miss_it() -> None:
    assert (
        len(shingles(tokens(SOURCE), 5) & shingles(tokens(REWRITE), 5))
        / len(shingles(tokens(SOURCE), 5) | shingles(tokens(REWRITE), 5))
        < 0.3
    )  # classic 5-shingle Jaccard would not group these
    d = verify(SOURCE, REWRITE)
    assert d.relation == "rewrite", d.reason
    assert d.scores["aligned_sentences"] >= 5
    assert d.scores["coverage_shorter"] < d.thresholds["near_copy_coverage"]
    assert "paraphrase" in d.reason


def test_near_copy() -> None:
    d = verify(near_copy_of_source(), SOURCE)
    assert d.relation == "near_copy", d.reason
    assert d.scores["coverage_shorter"] >= 0.9
    assert set(d.thresholds) >= {"near_copy_coverage", "min_tokens"}


def test_truncation_records_containment() -> None:
    lead = "\n".join(SOURCE.split("\n")[:3])  # headline + first two paragraphs
    d = verify(lead, SOURCE)
    assert d.relation == "near_copy", d.reason
    assert d.containment is not None and d.containment >= 0.95
    assert d.scores["a_is_shorter"] == 1.0
    assert "contained copy" in d.reason


def test_too_short_is_never_claimed() -> None:
    headline = SOURCE.split("\n")[0]
    d = verify(headline + " today", SOURCE)
    assert d.relation is None
    assert "too short" in d.reason


def test_same_event_and_same_topic_stay_apart() -> None:
    for other in (SAME_EVENT, SAME_EVENT_FACTS, SAME_TOPIC):
        d = verify(SOURCE, other)
        assert d.relation is None, d.reason
    index = DedupIndex()
    index.add_batch(
        [
            Article("src", SOURCE, 1.0),
            Article("event", SAME_EVENT, 2.0),
            Article("topic", SAME_TOPIC, 3.0),
        ]
    )
    assert len({index.group_of[a] for a in ("src", "event", "topic")}) == 3


def test_exact_duplicate() -> None:
    messy = SOURCE.upper().replace("\n", "\n\n  ").replace("city's", "city\u2019s") + " "
    assert text_hash(messy) == text_hash(SOURCE)
    d = verify(messy, SOURCE)
    assert d.relation == "exact"
    assert fingerprint(messy).band_keys == fingerprint(SOURCE).band_keys


def test_longest_shared_passages_hand_checked() -> None:
    a = "The quick brown fox jumps over the lazy dog near the river bank today."
    b = "Yesterday the quick brown fox sat down; later it jumps over the lazy dog again."
    got = longest_shared_passages(a, b, k=3)
    assert [(p.text, p.start_a, p.start_b, p.n_words) for p in got] == [
        ("jumps over the lazy dog", 4, 9, 5),
        ("the quick brown fox", 0, 1, 4),
    ]


def test_band_rows_modest_and_lsh_finds_copies() -> None:
    fps = fingerprint_many([SOURCE, near_copy_of_source(), REWRITE])
    assert rows_per_article() <= 64
    assert all(len(fp.rows("x")) <= rows_per_article() for fp in fps)
    index = DedupIndex()
    index.add_batch([Article("src", SOURCE, 1.0), Article("copy", near_copy_of_source(), 2.0)])
    assert "src" in index.candidates("copy")


def test_incremental_groups_and_earliest_member_change() -> None:
    index = DedupIndex()
    # copies arrive first, the (earlier published) original only in a later batch
    index.add_batch([Article("copy", near_copy_of_source(), 10.0), Article("rw", REWRITE, 12.0)])
    index.add_batch([Article("src", SOURCE, 1.0), Article("event", SAME_EVENT, 2.0)])
    gid = index.group_of["src"]
    group = index.groups[gid]
    assert group.anchor == "src"  # earliest published member
    assert index.group_of["copy"] == index.group_of["rw"] == gid
    assert index.member("copy").relation == "near_copy"
    assert index.member("rw").relation == "rewrite"
    assert index.member("src").relation is None
    assert index.group_of["event"] != gid


def test_stored_fingerprints_do_not_change_silently() -> None:
    """Band keys and story terms are stored, and new articles are matched against them:
    a change here (tokens, hashing, banding, term counting) stops new copies from meeting
    archived ones. If a change is meant, bump SCHEME_VERSION: stored databases are then
    reindexed (mediawatch.reindex) before their next write."""
    from mediawatch.fingerprint import SCHEME_VERSION

    assert SCHEME_VERSION == 13  # the values below are scheme 13's (as 10's: no list, no price)

    def digest(value: object) -> str:
        return hashlib.blake2b(
            json.dumps(value, sort_keys=True).encode(), digest_size=8
        ).hexdigest()

    seen = {}
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        fp, f = fingerprint(text), extract_features("", text)
        seen[path.name] = (
            fp.text_hash,
            digest(fp.band_keys),
            digest([f.words, f.entities, f.numbers]),
            digest(sorted(f.lead)),
            digest(f.spread),
            digest({k: round(v, 6) for k, v in f.common.items()}),  # wordfreq's data
        )
    assert seen == {
        "000_16416721b22052af.txt": (
            "11672950c3ee5368375fe4f70f8545c4",
            "01483b83176bf6b7",
            "703b1e05d3091cdc",
            "5916c86b1fb6b20e",
            "031852ae7fd45a94",
            "50e8ce327e7d59cb",
        ),
        "001_1a12cbee7aca723b.txt": (
            "58e089e4a9c27ee6d05a52da5ee3da80",
            "01dc324cc411a7d1",
            "3769f40c47bf268d",
            "ca1ea9c8b438c91d",
            "06b7a46ac532cd96",
            "9ea375f24f117869",
        ),
    }


def test_a_rewrite_reason_names_what_each_number_measures() -> None:
    """A count of sentences and a share of content words are two measures; the reason
    says which is which instead of "16 of 21 sentences (79% of content words)"."""
    d = verify(SOURCE, REWRITE)
    s = d.scores
    assert (
        f"{s['aligned_sentences']:.0f} of {s['sentences_shorter']:.0f} sentences have an "
        "in-order paraphrase in the other text; they hold "
        f"{s['sentence_alignment']:.0%} of their text's content words"
    ) in d.reason
    assert "sentences (" not in d.reason
    other = verify(SOURCE, SAME_EVENT_FACTS)  # one sentence aligns, a plural was "sentences"
    assert other.relation is None
    assert (
        "1 sentence aligns (holding "
        f"{other.scores['sentence_alignment']:.0%} of the content words of their text)"
    ) in other.reason


# A consent banner as some sites deliver it in place of the article (written for the test).
CONSENT_DE = (
    "Um unsere Website zu verbessern und Ihnen passende Werbung zu zeigen, sammeln wir "
    "anonyme technische Informationen, auch mit Werkzeugen unserer Partner. Einzelheiten "
    "zur Datenverarbeitung finden Sie in unserer Datenschutzerklärung. Welche Technologien "
    "wir nutzen, steht in den Regeln zur Nutzung von Cookies und zur automatischen "
    "Anmeldung. Mit einem Klick auf „Akzeptieren und schließen“ stimmen Sie der "
    "Verarbeitung Ihrer persönlichen Daten zu. Ihre Zustimmung können Sie jederzeit so "
    "widerrufen, wie es in unseren Datenschutzrichtlinien beschrieben ist."
)


def test_a_shared_consent_notice_is_not_a_copied_article() -> None:
    """Two pages of one site: different headlines, then only the site's cookie banner.
    They share nearly all their words, yet nothing of an article is copied."""
    a = "Schweiz schränkt die Ausfuhr von Schutzmasken ein\n" + CONSENT_DE
    b = "Rikschafahrer in Indien verteilt Seife an seine Fahrgäste\n" + CONSENT_DE
    without = verify_features(features(a), features(b))
    assert without.relation == "near_copy"  # what the notice alone would claim
    d = verify(a, b)
    assert d.relation is None, d.reason
    assert d.scores["notice_sentences_a"] == d.scores["notice_sentences_b"] == 5
    assert "consent-notice" in d.reason
    # the banner on one copy of a real article does not hide the copy
    d = verify(SOURCE + "\n" + CONSENT_DE.replace("Website", "Webseite"), near_copy_of_source())
    assert d.relation == "near_copy", d.reason


# A syndication network's disclaimer, as it follows (or replaces) every report it carries
# (written for the test, after the pattern of such networks).
DISCLAIMER_EN = (
    "NewsWire Network provides the information \u201cas is\u201d without warranty of any "
    "kind. We do not accept any responsibility or liability for the accuracy, content, "
    "images, completeness or reliability of the information contained in this article."
)


def test_a_shared_disclaimer_is_not_a_copied_article() -> None:
    """Two reports of one network whose article did not come through: different headlines,
    identical bodies, and the body is nothing but the network's disclaimer. Identical
    text, yet no article was copied; the disclaimer under a real copy hides nothing."""
    d = verify(DISCLAIMER_EN, DISCLAIMER_EN)
    assert d.relation is None, d.reason
    assert "disclaimer" in d.reason and "too short" in d.reason
    a = "Storm closes the port for a second day\n" + DISCLAIMER_EN
    b = "Parliament passes the budget after a night session\n" + DISCLAIMER_EN
    assert verify(a, b).relation is None
    copy = SOURCE + "\n" + DISCLAIMER_EN
    d = verify(copy, copy)
    assert d.relation == "exact", d.reason
    assert verify(SOURCE + "\n" + DISCLAIMER_EN, near_copy_of_source()).relation == "near_copy"


def test_what_is_left_besides_a_notice_must_be_long_enough() -> None:
    """Headline glued to the banner, one stray sentence after it: identical once the
    banner is set aside, but a shared sentence of ten words is not a copied article."""
    tail = "Die Einstellungen lassen sich später im Menü am Ende jeder Seite wieder ändern."
    a = "Schweiz schränkt die Ausfuhr ein " + CONSENT_DE + " " + tail
    b = "Rikscha-Fahrer verteilt Seife " + CONSENT_DE + " " + tail
    d = verify(a, b)
    assert d.relation is None, d.reason
    assert "too short" in d.reason


def test_verification_tokens_from_the_workers_give_the_same_features() -> None:
    """The tokens verification needs, made where an article is fingerprinted (in the
    worker processes) and taken as given by the store, give the very features that
    tokenising the text again gives, in every script; tokens made in another language
    than the text's own are not reused."""
    from dataclasses import replace
    from datetime import datetime

    from mediawatch.fingerprint import fingerprint_batch, verify_tokens
    from mediawatch.match.verify import tokens_given
    from mediawatch.records import Article as Extracted

    from . import multilingual as ml

    texts = [SOURCE, REWRITE, ml.ZH, ml.DE_REWRITE, ml.RU, ml.AR_OTHER, "One line only."]
    when = datetime(2026, 12, 1, 9, 0)
    articles = [
        Extracted(f"https://example.org/{i}", f"https://example.org/{i}", "t", None, t, "x", when)
        for i, t in enumerate(texts)
    ]
    articles[1] = replace(articles[1], language="de")  # declared wrongly: English text
    assert verify_tokens(SOURCE, "de", [["made", "in", "german"]]) == verify_tokens(SOURCE, None)
    done = fingerprint_batch(articles, for_verify=True)
    assert all(f.verify_tokens is not None for f in done)
    assert fingerprint_batch(articles[:1])[0].verify_tokens is None  # only when asked
    computed = [features.__wrapped__(t) for t in texts]
    with tokens_given({f.article.text: f.verify_tokens for f in done}):
        given = [features.__wrapped__(t) for t in texts]
    assert given == computed
    assert verify(SOURCE, REWRITE).relation == "rewrite"  # the registry is gone again
