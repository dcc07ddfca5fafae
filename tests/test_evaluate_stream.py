"""`evaluate stream` on a tiny stream written here: labelled articles and real HTML pages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.evaluate import DataMissing, shown
from mediawatch.evaluate.runner import Record
from mediawatch.evaluate.stream import (
    EVENTS_FILE,
    Page,
    different_events,
    evaluate,
    interleave,
    load_events,
    score,
)

QUAKE = [
    "A strong earthquake shook the coastal town of Marlow Bay early on Sunday morning.",
    "The regional seismic office said the tremor was felt as far as the inland villages of "
    "Eastbrook and Ferrington, where several chimneys collapsed onto parked cars.",
    "Mayor Edith Carrow said that the harbour wall had cracked and that fishing boats were told "
    "to stay at sea until engineers had inspected the quay.",
    "Volunteers opened the sports hall on Kestrel Road for families whose houses were damaged, "
    "and the red cross brought blankets and hot meals for the night.",
]
QUAKE_WIRE = [line.replace("early on Sunday morning", "on Sunday") for line in QUAKE]
BAKERY = [
    "The Lindqvist family bakery in Old Mill Lane celebrated its centenary with a street party.",
    "Customers queued from dawn for the cardamom buns that the founder first baked in a wood "
    "oven, which still stands in the back room of the shop today.",
    "Granddaughter Saga Lindqvist, who now runs the business, said the secret was patience and "
    "good butter, and that the recipe book would stay in the family safe.",
]
SYNDICATED = [
    "Night trains return to the Alpine line between Innsbruck and Verona after twelve years.",
    "The operator said sleeper carriages with couchettes and a dining car would run three times "
    "a week from the spring, and that tickets go on sale at the end of the month.",
    "Rail campaigners welcomed the decision, saying that the route had been full every night "
    "before the old service was withdrawn for lack of rolling stock.",
    "Hoteliers in the valley towns hope that the trains will bring back winter visitors who "
    "do not want to drive over the pass in snow.",
]
GARDEN = [
    "How to grow sweet peas on a sunny balcony: sow the seeds in deep pots in early spring.",
    "Soak the seeds overnight, keep the compost moist but not wet, and pinch out the tips when "
    "the seedlings have three pairs of leaves so that they branch.",
    "Give the climbing stems a trellis or canes, feed them every fortnight with a potash-rich "
    "liquid, and pick the flowers often, since cutting keeps the plants blooming all summer.",
]


def page(site: str, title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><title>{title} | {site}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/about'>{site}</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright {site}. All rights reserved.</footer></body></html>"
    )


PAGES = {
    # one wire story carried by two sites: a real shared event between two sites
    "aaa1": ("https://www.railnews.example/2026/night-trains", "Night trains return", SYNDICATED),
    "bbb2": ("https://alpine-times.example/travel/sleepers", "Sleepers are back", SYNDICATED),
    "ccc3": ("https://railnews.example/garden/sweet-peas", "Sweet peas", GARDEN),
}
ARTICLES = [
    {"id": "q1", "label": "quake", "title": QUAKE[0], "text": "\n".join(QUAKE)},
    {"id": "q2", "label": "quake", "title": QUAKE_WIRE[0], "text": "\n".join(QUAKE_WIRE)},
    {"id": "b1", "label": "bakery", "title": BAKERY[0], "text": "\n".join(BAKERY)},
    {"id": "t1", "label": "trains", "title": SYNDICATED[0], "text": "\n".join(SYNDICATED)},
]


def write_data(root: Path) -> tuple[Path, Path]:
    html = root / "extraction" / "html"
    html.mkdir(parents=True)
    truth = {}
    for key, (url, title, paragraphs) in PAGES.items():
        site = url.split("/")[2]
        (html / f"{key}.html.gz").write_bytes(gzip.compress(page(site, title, paragraphs).encode()))
        truth[key] = {"url": url, "articleBody": "\n".join(paragraphs)}
    (root / "extraction" / "ground-truth.json").write_text(json.dumps(truth))
    stories = root / "stories.jsonl"
    stories.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    return stories, root


# Texts of a pairs file (other news, no times): one is the night-train report again, so
# the labelled article and the two pages that carry it share a story with it; the others
# are unrelated.
PAIRS = [
    ("en", " ".join(SYNDICATED), "de", "Der Stadtrat von Lindau beschloss am Dienstag einen neuen "
     "Radweg entlang des Seeufers, der im kommenden Sommer eröffnet werden soll."),
    ("es", "El ayuntamiento de Cuenca abrirá una nueva biblioteca municipal en el antiguo "
     "mercado de abastos, con salas de estudio y un archivo histórico.", "fr", "La "
     "préfecture de Savoie a fermé le col du Galibier après de fortes chutes de neige."),
]  # fmt: skip


def write_pairs(root: Path) -> None:
    (root / "pairs").mkdir()
    rows = [
        {"pair_id": str(k), "lang1": l1, "lang2": l2, "overall": 4.0, "text1": a, "text2": b}
        for k, (l1, a, l2, b) in enumerate(PAIRS)
    ]
    (root / "pairs" / "semeval8-train-multilingual.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )


def test_interleave_spreads_each_list_evenly_and_keeps_its_order() -> None:
    # articles 0-3 at 1/8, 3/8, 5/8, 7/8; pages (indices 4 and 5) at 1/4 and 3/4
    assert interleave(4, 2) == [0, 4, 1, 2, 5, 3]
    assert sorted(interleave(7, 3)) == list(range(10))


def test_shown_makes_hostile_titles_one_plain_line() -> None:
    assert shown("\x1b[2J\x1b[31mRed\u202e alert\n\tnow") == "[2J [31mRed alert now"
    assert shown(None) == "(no title)"
    assert shown("x" * 100, 10) == "x" * 9 + "…"


def test_score_counts_pages_of_other_sites_and_articles_with_pages() -> None:
    pages = [
        Record("p1", None, "", url="https://www.one.example/a", html="<p>a</p>"),
        Record("p2", None, "", url="https://one.example/b", html="<p>b</p>"),  # same site
        Record("p3", None, "", url="https://two.example/c", html="<p>c</p>"),
        Record("p4", None, "", url="https://three.example/d", html="<p>d</p>"),
    ]
    articles = [Record(i, None, "text") for i in ("a1", "a2", "a3")]
    labels = {"a1": "X", "a2": "X", "a3": "Y"}
    # story 1: two pages of one site (no error); story 2: pages of two sites (both listed);
    # story 3: an article with a page; a2 and a3 in one story (BCubed sees that)
    story = {"p1": 1, "p2": 1, "p3": 2, "p4": 2, "a1": 2, "a2": 4, "a3": 4}
    titles = {"p3": "Night trains", "p4": None}
    cross, with_pages, their_pages, prf = score(articles, labels, pages, story, titles)
    assert [(p.id, p.host, p.title, p.story) for p in cross] == [
        ("p3", "two.example", "Night trains", 2),
        ("p4", "three.example", None, 2),
    ]
    assert with_pages == ["a1"] and [p.id for p in their_pages] == ["p3", "p4"]
    # gold X = {a1, a2}, Y = {a3}; predicted {a1}, {a2, a3}
    # P = (1 + 1/2 + 1/2) / 3 = 2/3; R = (1/2 + 1/2 + 1) / 3 = 2/3
    assert (prf.precision, prf.recall) == pytest.approx((2 / 3, 2 / 3))


def test_pages_of_one_labelled_event_are_no_error_and_an_intruder_makes_all_its_story_wrong(
    tmp_path: Path,
) -> None:
    labels = tmp_path / "events.toml"
    labels.write_text(
        '[[event]]\nname = "Night trains return"\npages = ["aaa1", "bbb2"]\n'
        '[[event]]\nname = "Sweet peas"\npages = ["ccc3"]\n'
    )
    events = load_events(labels)
    assert events == {
        "page-aaa1": "Night trains return",
        "page-bbb2": "Night trains return",
        "page-ccc3": "Sweet peas",
    }
    one = [Page("page-aaa1", "rail.example", None, 1), Page("page-bbb2", "alps.example", None, 1)]
    assert different_events(one, events) == []
    assert different_events(one, {}) == one  # not labelled: each page is its own event
    # a page of another event (or of none) in the story: every page of it shares a story
    # with another site's page of a different event
    for intruder in ("page-ccc3", "page-ddd4"):
        story = [*one, Page(intruder, "garden.example", None, 1)]
        assert different_events(story, events) == story
    # two pages of one site and another event's page elsewhere: only its story counts
    two = [
        Page("page-ccc3", "garden.example", None, 2),
        Page("page-eee5", "garden.example", None, 2),
        Page("page-fff6", "flowers.example", None, 2),
    ]
    assert [p.id for p in different_events(one + two, events)] == [p.id for p in two]


def test_hand_labels_that_contradict_themselves_are_named(tmp_path: Path) -> None:
    labels = tmp_path / "events.toml"
    labels.write_text(
        '[[event]]\nname = "A"\npages = ["aaa1"]\n[[event]]\nname = "B"\npages = ["aaa1"]\n'
    )
    with pytest.raises(DataMissing, match="page aaa1 is in two events \\('A', 'B'\\)"):
        load_events(labels)
    labels.write_text("[[event]\nname = 1")
    with pytest.raises(DataMissing, match="not readable as TOML"):
        load_events(labels)
    labels.write_text('[[event]]\nname = "A"\n')
    with pytest.raises(DataMissing, match="event 1 needs a name and a list of pages"):
        load_events(labels)


def test_the_shipped_hand_labels_name_each_page_once() -> None:
    events = load_events(EVENTS_FILE)
    assert len(events) >= 40 and len(set(events.values())) >= 20
    assert all(len(rid) == len("page-") + 12 for rid in events)
    assert all(int(rid.removeprefix("page-"), 16) >= 0 for rid in events)  # hex digits


def test_stream_through_the_pipeline(prefect_harness, tmp_path: Path) -> None:
    stories, data = write_data(tmp_path / "data")
    write_pairs(data)
    lines: list[str] = []
    report = evaluate(stories, data, label_field="label", n_batches=2, out=lines.append)
    assert (report.articles, report.pages, report.pages_stored) == (4, 3, 3)
    assert report.not_stored == []
    # the wire story carried by two sites (and the labelled article with the same text) is
    # one story: both pages are listed, with the titles extracted from their HTML
    listed = {p.id: p for p in report.cross_site}
    assert {"page-aaa1", "page-bbb2"} <= set(listed)
    assert (listed["page-aaa1"].host, listed["page-aaa1"].title) == (
        "railnews.example",
        "Night trains return",
    )
    assert listed["page-bbb2"].host == "alpine-times.example"
    assert report.cross_site_share == len(listed) / 3
    # the shipped hand labels do not know these pages: each is an event of its own
    assert {p.id for p in report.different} == set(listed)
    assert report.events_file == "stream_events.toml"
    assert "t1" in report.articles_with_pages
    assert {"page-aaa1", "page-bbb2"} <= {p.id for p in report.pages_with_articles}
    # labelled stories {q1, q2}, {b1}, {t1}: the two quake reports are one story
    assert report.bcubed.recall == 1.0
    assert report.bcubed_alone is not None and report.bcubed_alone.recall == 1.0
    text = "\n".join(lines)
    assert f"pages in a story with a page of another site: {len(listed)} of 3" in text
    assert "page-bbb2  alpine-times.example" in text
    # the second mix: the labelled articles among the pairs file's four texts
    assert report.texts is not None
    assert (report.texts.texts, report.texts.languages) == (4, 4)
    assert report.texts.articles_with_texts == ["t1"]
    assert "ECB+ among 4 unrelated news texts (4 languages, no times" in text
    assert "ECB+ articles in a story with a text: 1" in text
    # the third mix: the pages among the same texts; the two that carry the night-train
    # report share a story with its text, the gardening page does not
    mix = report.pages_texts
    assert mix is not None and (mix.texts, mix.languages) == (4, 4)
    assert [p.id for p in mix.pages_with_texts] == ["page-aaa1", "page-bbb2"]
    assert mix.text_languages[mix.pages_with_texts[0].story] == ["en"]
    assert "pages in a story with a text: 2 of 3 (66.7%; check each by hand)" in text
    assert "(texts: en):" in text


def test_without_the_pairs_file_the_stream_says_so(prefect_harness, tmp_path: Path) -> None:
    stories, data = write_data(tmp_path / "data")
    labels = tmp_path / "events.toml"
    labels.write_text('[[event]]\nname = "Night trains return"\npages = ["aaa1", "bbb2"]\n')
    lines: list[str] = []
    report = evaluate(
        stories,
        data,
        label_field="label",
        n_batches=2,
        alone=False,
        out=lines.append,
        events_file=labels,
    )
    assert report.texts is None and report.pages_texts is None
    assert "  (the pairs file is not there: no mix with unrelated texts)" in lines
    # the wire story's two pages are one event by these labels: no error, and marked so
    assert {"page-aaa1", "page-bbb2"} <= {p.id for p in report.cross_site}
    assert report.different == []
    text = "\n".join(lines)
    assert "of a different event (the hand labels of events.toml;" in text
    assert "): 0 of 3 (0.0%)" in text
    assert "[Night trains return]" in text


def test_cli_says_when_the_pages_are_absent(tmp_path: Path, capsys) -> None:
    stories, _ = write_data(tmp_path / "data")
    none = str(tmp_path / "none")
    assert main(["evaluate", "stream", str(stories), "--data", none, "--label-field", "label"]) == 1
    err = capsys.readouterr().err
    assert "extraction benchmark not found" in err and "nothing evaluated" in err
    # a labelled file without the label field: the line and the option are named
    assert main(["evaluate", "stream", str(stories), "--data", none]) == 1
    err = capsys.readouterr().err
    assert "line 1: not a labelled article (no field 'subtopic'" in err
    assert "Traceback" not in err
