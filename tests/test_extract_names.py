"""Source names and titles from real pages (trafilatura on HTML): placeholders and URLs
are not outlet names, and a title's trailing site name is dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from mediawatch.config import ExtractSettings
from mediawatch.extract import extract_document
from mediawatch.extract.names import clean_source, strip_site_suffix
from mediawatch.records import RawDocument

BODY = " ".join(
    [
        "The Quillmouth harbour council voted on Monday to close the old fish market after",
        "inspectors found its roof unsafe for traders and visitors alike. Council leader Anna",
        "Brisk said the market would reopen next spring once the repairs, costing 2.4 million",
        "crowns, are finished. Traders will move to a temporary hall on Pier Road from May.",
    ]
)


def page(title: str, site_name: str) -> str:
    return (
        f'<html><head><title>{title}</title><meta property="og:site_name" content="{site_name}">'
        f"</head><body><article><h1>Quillmouth closes its fish market</h1><p>{BODY}</p>"
        f"<p>{BODY.replace('Monday', 'Tuesday')}</p></article></body></html>"
    )


def extract(html: str, url: str = "https://foxyfolksy.example/market", **kw):
    doc = RawDocument(url, "test", html, "html", datetime.now(UTC).replace(tzinfo=None), **kw)
    return extract_document(doc, ExtractSettings())


def test_template_junk_and_urls_are_not_source_names() -> None:
    junk = extract(page("Market to close", "{$plugin.tx_news.opengraph.site_name}"))
    assert junk.source == "foxyfolksy.example"
    url = extract(page("Market to close", "https://www.facebook.com/tagesspiegel"))
    assert url.source == "foxyfolksy.example"
    named = extract(page("Market to close", "Foxy Folksy"))
    assert named.source == "Foxy Folksy"
    assert clean_source("{{ site.name }}") is None and clean_source("  ") is None


def test_a_trailing_site_name_leaves_the_title() -> None:
    art = extract(page("Quillmouth closes its fish market | Foxy Folksy", "Foxy Folksy"))
    assert art.title == "Quillmouth closes its fish market"
    by_host = extract(page("Quillmouth closes its fish market - FoxyFolksy", "{$x}"))
    assert by_host.title == "Quillmouth closes its fish market"
    given = extract(page("Other | Foxy Folksy", "Foxy Folksy"), title="Given | Foxy Folksy")
    assert given.title == "Given | Foxy Folksy"  # a title given with the item is kept
    assert strip_site_suffix("Covid-19 - what we know", "BBC", "https://bbc.example") == (
        "Covid-19 - what we know"
    )
    assert strip_site_suffix("Rates rise | Markets", "Reuters", None) == "Rates rise | Markets"
