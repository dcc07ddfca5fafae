"""Feeds and sitemaps into items: every kind, and every kind of bad document."""

from __future__ import annotations

import gzip
from datetime import datetime

import pytest

from mediawatch.ingest.feeds import FeedError, parse_feed

BASE = "https://news.example/feeds/main.xml"

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Coast Courier</title><link>https://news.example/</link>
<item><title>Ferry terminal opens</title><link>https://news.example/a</link>
  <guid isPermaLink="false">a-1</guid><pubDate>Tue, 24 Feb 2026 10:00:00 +0100</pubDate>
  <description>&lt;p&gt;The new &lt;b&gt;terminal&lt;/b&gt; opened.&lt;/p&gt;</description></item>
<item><title>Relative</title><link>../b.html</link><guid isPermaLink="false">b-1</guid></item>
<item><title>Permalink guid</title><guid>https://news.example/c</guid></item>
<item><title>No link</title><guid isPermaLink="false">d-1</guid></item>
<item><title>Same guid</title><link>https://news.example/e</link>
  <guid isPermaLink="false">a-1</guid></item>
<item><title>Same link</title><link>https://www.news.example/a?utm_source=rss</link></item>
<item><title>Mail</title><link>mailto:desk@news.example</link></item>
</channel></rss>"""

RDF = b"""<?xml version="1.0" encoding="iso-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://news.example/"><title>K\xf6ln Kurier</title>
 <link>https://news.example/</link></channel>
<item rdf:about="https://news.example/koeln"><title>Hochwasser in K\xf6ln</title>
 <link>https://news.example/koeln</link><dc:date>2026-02-24T10:00:00Z</dc:date>
 <description>Der Rhein steigt.</description></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/world/">
<title>World</title><id>urn:world</id><updated>2026-02-24T12:00:00Z</updated>
<entry><title type="html">Bridge &lt;em&gt;closed&lt;/em&gt;</title>
 <link rel="enclosure" href="https://cdn.example/a.mp3"/><link href="bridge.html"/>
 <id>urn:bridge</id><published>2026-02-24T10:00:00+02:00</published>
 <updated>2026-02-24T11:00:00Z</updated><summary>Cracks found.</summary></entry>
</feed>"""

JSONFEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
 "items": [{"id": 7, "url": "/j/1", "title": "One", "content_text": "Text one.",
            "date_published": "2026-02-24T10:00:00Z", "date_modified": "2026-02-25T08:30:00+01:00"},
           {"id": "8"}, "junk"]}"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.example/s1</loc><lastmod>2026-02-24</lastmod></url>
<url><loc>/s2</loc></url><url><lastmod>2026-02-24</lastmod></url></urlset>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/n1</loc><news:news><news:publication>
 <news:name>Coast Courier</news:name><news:language>en</news:language></news:publication>
 <news:publication_date>2026-02-24T09:30:00+00:00</news:publication_date>
 <news:title>Harbour reopens</news:title></news:news></url></urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap>
<sitemap><loc>sitemap-2.xml.gz</loc></sitemap></sitemapindex>"""


def test_rss2_items_with_relative_links_permalink_guids_and_problems() -> None:
    feed = parse_feed(RSS2, BASE)
    assert feed.kind == "rss" and feed.title == "Coast Courier"
    first, relative, permalink = feed.items
    assert (first.link, first.guid, first.title) == (
        "https://news.example/a",
        "a-1",
        "Ferry terminal opens",
    )
    assert first.summary == "The new terminal opened."
    assert first.published_at == datetime(2026, 2, 24, 9, 0)  # UTC
    assert relative.link == "https://news.example/b.html"
    assert permalink.link == "https://news.example/c"
    problems = {p.position: p.reason for p in feed.problems}
    assert problems == {
        4: "item has no link",
        5: "duplicate guid 'a-1' in the feed (first at item 1)",
        6: "duplicate link in the feed (first at item 1)",
        7: "item link is not a web URL: 'mailto:desk@news.example'",
    }


def test_rdf_atom_and_json_feed() -> None:
    rdf = parse_feed(RDF, BASE)
    assert rdf.kind == "rdf" and rdf.title == "Köln Kurier"
    (item,) = rdf.items
    assert item.title == "Hochwasser in Köln" and item.updated_at == datetime(2026, 2, 24, 10)
    atom = parse_feed(ATOM, BASE)
    (entry,) = atom.items
    assert atom.kind == "atom"
    assert entry.link == "https://news.example/world/bridge.html"  # xml:base, not the enclosure
    assert entry.title == "Bridge closed" and entry.guid == "urn:bridge"
    assert entry.published_at == datetime(2026, 2, 24, 8) and entry.updated_at == datetime(
        2026, 2, 24, 11
    )
    js = parse_feed(JSONFEED, BASE)
    assert js.kind == "jsonfeed"
    (one,) = js.items
    assert (one.link, one.guid, one.summary) == ("https://news.example/j/1", "7", "Text one.")
    assert one.updated_at == datetime(2026, 2, 25, 7, 30)
    assert [p.reason for p in js.problems] == ["item has no url", "item is not a JSON object"]


def test_sitemaps_news_sitemaps_and_indexes() -> None:
    sm = parse_feed(SITEMAP, BASE)
    assert sm.kind == "sitemap"
    assert [i.link for i in sm.items] == ["https://news.example/s1", "https://news.example/s2"]
    assert sm.items[0].updated_at == datetime(2026, 2, 24) and sm.items[0].guid is None
    assert [p.reason for p in sm.problems] == ["sitemap entry has no <loc>"]
    news = parse_feed(NEWS_SITEMAP, BASE)
    (n,) = news.items
    assert news.kind == "news-sitemap" and n.title == "Harbour reopens"
    assert n.published_at == datetime(2026, 2, 24, 9, 30)
    index = parse_feed(gzip.compress(INDEX), BASE)  # gzipped, as sitemaps often are
    assert index.kind == "sitemap-index" and index.items == []
    assert index.sitemaps == [
        "https://news.example/sitemap-1.xml",
        "https://news.example/feeds/sitemap-2.xml.gz",
    ]


def test_item_identity_and_fingerprint() -> None:
    feed = parse_feed(RSS2, BASE)
    assert feed.items[0].key == "guid:a-1"
    assert parse_feed(SITEMAP, BASE).items[0].key == "url:news.example/s1"
    changed = parse_feed(RSS2.replace(b"Ferry terminal opens", b"Ferry terminal opens late"), BASE)
    assert changed.items[0].fingerprint() != feed.items[0].fingerprint()
    assert parse_feed(RSS2, BASE).items[0].fingerprint() == feed.items[0].fingerprint()


def test_malformed_xml_is_recovered_with_a_warning_or_refused() -> None:
    broken = RSS2.split(b"<item><title>No link")[0] + b"<item><title>Cut off"
    feed = parse_feed(broken, BASE)
    assert feed.warning is not None and feed.warning.startswith("malformed XML (")
    assert "recovered by the lenient parser" in feed.warning
    assert [i.guid for i in feed.items] == ["a-1", "b-1", "https://news.example/c"]
    with pytest.raises(FeedError, match="malformed XML, not a readable sitemap"):
        parse_feed(SITEMAP[:120], BASE)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty response: no feed or sitemap"),
        (b"  \n ", "empty response: no feed or sitemap"),
        (
            b"<!DOCTYPE html><html><body><a href='/a'>A</a></body></html>",
            "an HTML page, not a feed",
        ),
        (b"<html><head><title>x</title></head></html>", "an HTML page, not a feed"),
        (b"just some words", "neither XML nor JSON"),
        (b'{"items": []}', "JSON, but not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "malformed JSON"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "not an RSS, Atom or RDF feed"),
        (b"\x1f\x8b\x08\x00broken", "not a readable gzip file"),
    ],
)
def test_documents_that_are_not_feeds(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body, BASE, content_type="text/html")
    assert reason in str(info.value)


def test_an_empty_feed_has_no_items_and_no_error() -> None:
    empty = parse_feed(
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>E</title></channel></rss>", BASE
    )
    assert empty.kind == "rss" and empty.items == [] and empty.problems == []
