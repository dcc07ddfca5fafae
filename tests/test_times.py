"""Publication times: every metadata source with its time zone, precision, lineage order.

Pages, feeds and records are written for these tests; they go through the real
extractor (trafilatura + mediawatch.extract.dates), feedparser, the local-source reader,
DuckDB (the SQL lineage order) and, for origins, real Prefect flow runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest_flow
from mediawatch.cli import main
from mediawatch.config import IngestSettings
from mediawatch.extract.html import extract_html
from mediawatch.ingest.feeds import parse_feed
from mediawatch.ingest.local import iter_local
from mediawatch.records import RawDocument
from mediawatch.times import (
    first_note,
    lineage_key,
    parse_iso,
    parse_rfc822,
    url_date,
)
from storage.connection import reader, writer
from storage.lineage import lineage_order
from storage.migrate import current_version, latest_version, migrations

BODY = "".join(
    f"<p>{p}</p>"
    for p in (
        "The harbour authority reopened the northern quay on Friday after a week of repairs "
        "to the storm-damaged pier, allowing the ferry service to resume its full timetable.",
        "Engineers replaced forty metres of decking and reinforced the pilings that had been "
        "undermined by the surge, according to a statement from the port's operations team.",
        "Local traders said the closure had cost them a busy week, and several asked the "
        "council for help with lost income while the quay was shut to visitors and fishermen.",
    )
)


def page(head: str = "", body_extra: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Quay reopens after repairs</title>{head}</head><body>"
        f"<article><h1>Quay reopens after repairs</h1>{body_extra}{BODY}</article></body></html>"
    )


def published(html: str, url: str | None = "https://harbour.example/news/quay-reopens"):
    e = extract_html(html, url)
    return e.published_at, e.published_precision, e.published_from


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("value", "at", "precision"),
    [
        ("2026-03-06T18:20:00+02:00", datetime(2026, 3, 6, 16, 20), "second"),
        ("2026-03-06T18:20:00Z", datetime(2026, 3, 6, 18, 20), "second"),
        ("2026-03-06T21:30:00-05:00", datetime(2026, 3, 7, 2, 30), "second"),  # next UTC day
        ("2026-03-06T18:20+0530", datetime(2026, 3, 6, 12, 50), "minute"),
        ("2026-03-06 18:20:15.250", datetime(2026, 3, 6, 18, 20, 15, 250000), "second"),
        ("20260306T182000Z", datetime(2026, 3, 6, 18, 20), "second"),
        ("2026-03-06", datetime(2026, 3, 6), "day"),  # a date is not converted
        ("2026-03", datetime(2026, 3, 1), "month"),
    ],
)
def test_iso_values_become_utc_with_their_precision(value, at, precision) -> None:
    stamp = parse_iso(value, now=datetime(2026, 12, 1))
    assert stamp is not None and (stamp.at, stamp.precision) == (at, precision)


@pytest.mark.parametrize(
    "value", ["yesterday", "2026", "202603", "1970-01-01T00:00:00Z", "2031-01-01", "2026-13-01"]
)
def test_implausible_or_malformed_values_are_no_time(value) -> None:
    assert parse_iso(value, now=datetime(2026, 12, 1)) is None


def test_rfc822_dates_with_zone_names_and_offsets() -> None:
    s = parse_rfc822("Fri, 06 Mar 2026 18:20:00 +0200")
    assert s is not None and (s.at, s.precision) == (datetime(2026, 3, 6, 16, 20), "second")
    s = parse_rfc822("Fri, 06 Mar 2026 18:20 EST")
    assert s is not None and (s.at, s.precision) == (datetime(2026, 3, 6, 23, 20), "minute")


def test_url_dates() -> None:
    day = url_date("https://ledger.example/business/2024/03/05/recall?x=1")
    month = url_date("https://consumer.example/recalls/2024/03/battery-recall")
    assert day is not None and (day.at, day.precision) == (datetime(2024, 3, 5), "day")
    assert month is not None and (month.at, month.precision) == (datetime(2024, 3, 1), "month")
    assert url_date("https://shop.example/items/2024123/blue") is None  # an id, not a date


# --------------------------------------------------------------------------- HTML sources


def test_article_published_time_meta() -> None:
    head = '<meta property="article:published_time" content="2026-03-06T18:20:00+02:00">'
    assert published(page(head)) == (datetime(2026, 3, 6, 16, 20), "second", "meta")


def test_jsonld_date_published_in_a_graph_with_a_negative_offset() -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Harbour Times", "datePublished": "2019-01-01"},
            {"@type": "NewsArticle", "headline": "Quay", "datePublished": "2026-03-06T09:15-05:00"},
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    # the article's value, not the web site's (which comes first in the graph)
    assert published(page(head)) == (datetime(2026, 3, 6, 14, 15), "minute", "json-ld")


def test_jsonld_list_of_objects_and_list_of_dates() -> None:
    data = [
        {"@type": "BreadcrumbList", "itemListElement": []},
        {"@type": ["ReportageNewsArticle"], "datePublished": ["2026-03-06T07:00:00Z"]},
    ]
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert published(page(head)) == (datetime(2026, 3, 6, 7), "second", "json-ld")


def test_jsonld_date_modified_stands_in_only_without_a_publication_time() -> None:
    data = {"@type": "NewsArticle", "dateModified": "2026-03-07T10:00:00+01:00"}
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    assert published(page(head), url=None) == (datetime(2026, 3, 7, 9), "second", "modified")
    meta = '<meta property="article:modified_time" content="2026-03-08T10:00:00Z">'
    assert published(page(meta), url=None) == (datetime(2026, 3, 8, 10), "second", "modified")
    both = meta + '<meta property="article:published_time" content="2026-03-06T08:00:00Z">'
    assert published(page(both), url=None) == (datetime(2026, 3, 6, 8), "second", "meta")


def test_time_element_marked_as_publication_time() -> None:
    body = (
        '<p class="meta"><time datetime="2026-03-07T08:00:00Z" class="updated">updated</time> '
        '<time datetime="2026-03-06T18:20:00Z" pubdate>6 March, 18:20</time></p>'
    )
    assert published(page(body_extra=body), url=None) == (
        datetime(2026, 3, 6, 18, 20),
        "second",
        "time",
    )
    itemprop = '<time itemprop="datePublished" datetime="2026-03-06T18:20:00+01:00">x</time>'
    assert published(page(body_extra=itemprop), url=None)[0] == datetime(2026, 3, 6, 17, 20)


def test_dublin_core_and_pubdate_meta() -> None:
    dc = '<meta name="DC.date.issued" content="2026-03-06T18:20:00+01:00">'
    assert published(page(dc)) == (datetime(2026, 3, 6, 17, 20), "second", "meta")
    terms = '<meta name="dcterms.created" content="2026-03-06T06:05:00-05:00">'
    assert published(page(terms)) == (datetime(2026, 3, 6, 11, 5), "second", "meta")
    pubdate = '<meta name="pubdate" content="2026-03-06T09:00:00Z">'
    assert published(page(pubdate)) == (datetime(2026, 3, 6, 9), "second", "meta")
    # article:published_time outranks Dublin Core on the same page
    both = dc + '<meta property="article:published_time" content="2026-03-06T16:00:00Z">'
    assert published(page(both))[0] == datetime(2026, 3, 6, 16)


def test_a_date_only_value_stays_a_date_and_a_finer_one_that_day_refines_it() -> None:
    date_only = '<meta name="date" content="2026-03-06">'
    assert published(page(date_only)) == (datetime(2026, 3, 6), "day", "meta")
    data = {"@type": "NewsArticle", "datePublished": "2026-03-06"}
    head = (
        f'<script type="application/ld+json">{json.dumps(data)}</script>'
        '<meta property="article:published_time" content="2026-03-06T18:20:00Z">'
    )
    assert published(page(head)) == (datetime(2026, 3, 6, 18, 20), "second", "json-ld+meta")
    other_day = head.replace("2026-03-06T18:20", "2026-03-09T18:20")  # a contradiction
    assert published(page(other_day)) == (datetime(2026, 3, 6), "day", "json-ld")


def test_the_url_date_and_an_unmarked_time_in_the_article() -> None:
    url = "https://harbour.example/news/2026/03/06/quay-reopens"
    assert published(page(), url) == (datetime(2026, 3, 6), "day", "url")
    month_url = "https://harbour.example/news/2026/03/quay-reopens"
    assert published(page(), month_url) == (datetime(2026, 3, 1), "month", "url")
    clock = '<p><time datetime="2026-03-06T07:45:00+01:00">6 March, 07:45</time></p>'
    assert published(page(body_extra=clock), url) == (
        datetime(2026, 3, 6, 6, 45),
        "second",
        "url+time",
    )


def test_htmldate_reads_other_formats_and_refines_a_url_month() -> None:
    head = '<meta name="date" content="March 6, 2026">'  # not ISO: htmldate reads it
    assert published(page(head), url=None) == (datetime(2026, 3, 6), "day", "htmldate")
    month_url = "https://harbour.example/news/2026/03/quay-reopens"
    assert published(page(head), month_url) == (datetime(2026, 3, 6), "day", "url+htmldate")
    assert published(page(), url=None) == (None, None, None)


# --------------------------------------------------------------------------- feeds, records

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Courier</title>
<item><title>One</title><link>https://news.example/1</link>
  <pubDate>Fri, 06 Mar 2026 18:20:00 +0200</pubDate></item>
<item><title>Two</title><link>https://news.example/2</link>
  <pubDate>Fri, 06 Mar 2026 08:05 -0500</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title><id>urn:desk</id>
<updated>2026-03-06T20:00:00Z</updated>
<entry><title>Three</title><id>urn:3</id><link href="https://news.example/3"/>
  <published>2026-03-06T21:30:00-05:00</published><updated>2026-03-07T04:00:00Z</updated></entry>
</feed>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "4", "url": "https://news.example/4", "date_published": "2026-03-06T18:20Z"},
            {"id": "5", "url": "https://news.example/5", "date_published": "2026-03-06"},
        ],
    }
).encode()


def _times(items) -> list[tuple[datetime | None, str | None]]:
    return [(i.published_at, i.published_precision) for i in items]


def test_feed_items_rss_atom_and_json_feed_in_utc_with_precision() -> None:
    assert _times(parse_feed(RSS, "https://news.example/rss").items) == [
        (datetime(2026, 3, 6, 16, 20), "second"),
        (datetime(2026, 3, 6, 13, 5), "minute"),
    ]
    assert _times(parse_feed(ATOM, "https://news.example/atom").items) == [
        (datetime(2026, 3, 7, 2, 30), "second")
    ]
    assert _times(parse_feed(JSON_FEED, "https://news.example/j").items) == [
        (datetime(2026, 3, 6, 18, 20), "minute"),
        (datetime(2026, 3, 6), "day"),
    ]


def test_jsonl_and_front_matter_times(tmp_path: Path) -> None:
    rows = [
        {"url": "https://a.example/1", "text": "x", "published_at": "2026-03-06T18:20:00+02:00"},
        {"url": "https://a.example/2", "text": "x", "published_at": "2026-03-06"},
        {"url": "https://a.example/3", "text": "x"},
    ]
    (tmp_path / "list.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "note.md").write_text("---\npublished_at: 2026-03-06T07:00:00-05:00\n---\nText\n")
    docs = [d for d in iter_local([str(tmp_path)], IngestSettings()) if isinstance(d, RawDocument)]
    assert [(d.published_at, d.published_precision) for d in docs] == [
        (datetime(2026, 3, 6, 16, 20), "second"),
        (datetime(2026, 3, 6), "day"),
        (None, None),
        (datetime(2026, 3, 6, 12), "second"),
    ]


# --------------------------------------------------------------------------- lineage order


@dataclass
class Row:
    article_id: int
    published_at: datetime | None
    published_precision: str | None
    fetched_at: datetime


FETCH = datetime(2026, 3, 8, 12)
ROWS = [
    Row(1, datetime(2026, 3, 6), "day", FETCH),  # a date only
    Row(2, datetime(2026, 3, 6, 18, 20), "second", FETCH),
    Row(3, datetime(2026, 3, 6, 12, 40), "second", FETCH),
    Row(4, datetime(2026, 3, 6, 12, 40), "minute", FETCH),  # 12:40:00-12:40:59
    Row(5, datetime(2026, 3, 1), "month", FETCH),
    Row(6, None, None, datetime(2026, 3, 6, 9)),  # undated: out by 09:00 on the 6th
    Row(7, datetime(2026, 3, 5, 23, 59), "second", FETCH),
    Row(8, datetime(2026, 3, 6, 12, 40), "second", datetime(2026, 3, 8, 11)),  # fetched earlier
    Row(9, datetime(2026, 3, 6), None, FETCH),  # stored before precision was recorded
]
EXPECTED = [7, 6, 8, 3, 4, 2, 1, 9, 5]


def test_lineage_order_in_python_and_in_sql_agree() -> None:
    python = sorted(
        ROWS,
        key=lambda r: (
            lineage_key(r.published_at, r.published_precision, r.fetched_at),
            r.article_id,
        ),
    )
    assert [r.article_id for r in python] == EXPECTED
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE a (article_id INT, published_at TIMESTAMP, published_precision VARCHAR,"
        " fetched_at TIMESTAMP)"
    )
    conn.executemany("INSERT INTO a VALUES (?, ?, ?, ?)", [list(vars(r).values()) for r in ROWS])
    sql = conn.execute(f"SELECT article_id FROM a ORDER BY {lineage_order('a')}").fetchall()
    assert [r[0] for r in sql] == EXPECTED


def test_ties_are_explained() -> None:
    by_id = {r.article_id: r for r in ROWS}
    assert first_note(by_id[7], by_id[2]) is None  # simply earlier
    note = first_note(by_id[2], by_id[1])
    assert note is not None and "only the date 2026-03-06" in note and "end of its day" in note
    assert "end of the period" in (first_note(by_id[3], by_id[4]) or "")  # 12:40:00, 12:40
    last = Row(11, datetime(2026, 3, 6, 23, 59, 59, 999999), "second", FETCH)
    assert "more precise" in (first_note(last, by_id[1]) or "")
    assert "fetched first" in (first_note(by_id[8], by_id[3]) or "")
    twin = Row(10, by_id[3].published_at, "second", FETCH)
    assert "stored first" in (first_note(by_id[3], twin) or "")


def test_migration_marks_old_rows_date_or_time(tmp_path: Path) -> None:
    db = tmp_path / "v4.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL)"
    )
    for m in migrations():
        if m.version <= 4:
            conn.execute(m.sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, m.name])
    for aid, when in ((1, "2026-03-06 00:00:00"), (2, "2026-03-06 12:40:00"), (3, None)):
        conn.execute(
            "INSERT INTO articles (article_id, url, url_key, text_hash, word_count, extractor,"
            " published_at, fetched_at, date, run_id, stored_at) VALUES (?, ?, ?, 'h', 3,"
            " 'plain-text', ?, now(), now(), 1, now())",
            [aid, f"https://a.example/{aid}", f"a.example/{aid}", when],
        )
    conn.close()
    with writer(db) as conn:
        assert current_version(conn) == latest_version()
        rows = conn.execute(
            "SELECT article_id, published_precision FROM articles ORDER BY 1"
        ).fetchall()
    assert rows == [(1, "day"), (2, "second"), (3, None)]


# --------------------------------------------------------------------------- origins


def _wire_page(when: str, source: str, closing: str = "") -> str:
    head = (
        f'<meta property="article:published_time" content="{when}">'
        f'<meta property="og:site_name" content="{source}">'
    )
    return page(head, body_extra=f"<p>{closing}</p>" if closing else "")


def test_group_origin_is_the_earlier_article_not_a_copy_on_the_same_day(
    prefect_harness, tmp_path: Path, capsys
) -> None:
    """The original at 09:12 UTC; a near copy at 07:30 in New York (12:30 UTC) whose file
    sorts first; a date-only copy the same day. With dates alone all three tie at midnight
    and the copy that comes first in the folder became the origin."""
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a_copy.html").write_text(
        _wire_page(
            "2026-03-06T07:30:00-05:00",
            "Bayline Daily",
            "This article was first published by Harbour Wire and is republished here.",
        )
    )
    (folder / "b_original.html").write_text(_wire_page("2026-03-06T09:12:00+00:00", "Harbour Wire"))
    (folder / "c_dated_copy.html").write_text(
        _wire_page("2026-03-06", "Quayside Weekly", "Reproduced with permission.")
    )
    db = tmp_path / "g.duckdb"
    ingest_flow(sources=[str(folder)], db=str(db))
    with reader(db) as conn:
        rows = conn.execute(
            """SELECT a.origin, a.published_at, a.published_precision, dm.relation
               FROM articles a JOIN dup_members dm USING (article_id) ORDER BY a.origin"""
        ).fetchall()
        group = conn.execute("SELECT group_id FROM dup_groups").fetchall()
        spans = conn.execute(
            "SELECT first_published, last_published FROM stories WHERE merged_into IS NULL"
        ).fetchall()
    # the clusterer's span runs from the first start to the last end: the date-only copy
    # may have been out at any time that day, so the story spans the whole day
    assert spans == [(datetime(2026, 3, 6), datetime(2026, 3, 6, 23, 59, 59, 999999))]
    got = {Path(o).name: (at, p, rel) for o, at, p, rel in rows}
    assert got["b_original.html"] == (datetime(2026, 3, 6, 9, 12), "second", "origin")
    assert got["a_copy.html"][:2] == (datetime(2026, 3, 6, 12, 30), "second")
    assert got["a_copy.html"][2] != "origin" and got["c_dated_copy.html"][2] != "origin"
    assert got["c_dated_copy.html"][:2] == (datetime(2026, 3, 6), "day")
    (gid,) = [g[0] for g in group]
    capsys.readouterr()
    assert main(["dupes", str(gid), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2026-03-06 09:12" in out and "2026-03-06 12:30" in out
    assert "origin tie" not in out  # 09:12 is simply the earliest
