"""A page's publication time, read from its metadata with the time and zone it gives.

htmldate (through trafilatura) answers with a date only, so a page published at 18:20
would sort before one published at 12:40 the same day. Here the page's own statements are
read in the order of how much a publisher means them:

1. JSON-LD ``datePublished`` (any object, in ``@graph`` and lists too; article types first);
2. ``<meta>`` publication tags: ``article:published_time`` and its og/itemprop variants,
   then Dublin Core (``DC.date.issued``, ``dcterms.issued``/``created``, ``DC.date``) and
   ``pubdate``-style names;
3. ``<time datetime>`` marked as the publication time (``pubdate``, ``itemprop``);
4. the URL's date (/2024/03/05/ is a day, /2024/03/ a month);
5. an unmarked ``<time datetime>`` in the article;
6. the modification time (JSON-LD ``dateModified``, ``article:modified_time``,
   ``og:updated_time``): the page was out by then.

The first statement wins; a later, finer one that falls inside it refines it (a JSON-LD
date "2026-03-06" and a meta time 18:20 the same day give 18:20). A modification time only
stands in when nothing else is there. htmldate's date is the caller's last resort.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement

from mediawatch.times import Stamp, parse_time, rank, url_date

__all__ = ["page_time"]

PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article.published",
    "published_time",
    "datepublished",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "og:modified_time",
    "datemodified",
    "dcterms.modified",
    "dc.date.modified",
    "last-modified",
)
_ARTICLE_TYPES = ("article", "posting", "report", "review", "newsarticle")


def _walk(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from _walk(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _walk(value)


def _strings(value: Any) -> list[str]:
    """A JSON-LD value as strings: a string, a list of them, or {"@value": ...}."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _strings(value.get("@value"))
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _is_article(obj: dict[str, Any]) -> bool:
    types = obj.get("@type")
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    return any(isinstance(t, str) and t.lower().endswith(_ARTICLE_TYPES) for t in names)


def _jsonld(tree: HtmlElement, key: str, now: datetime | None) -> list[Stamp]:
    """Values of ``key`` in the page's JSON-LD, article-typed objects first."""
    first: list[Stamp] = []
    rest: list[Stamp] = []
    for script in tree.xpath("//script[contains(@type,'ld+json')]/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for obj in _walk(data):
            for value in _strings(obj.get(key)):
                stamp = parse_time(value, now)
                if stamp is not None:
                    (first if _is_article(obj) else rest).append(stamp)
    return first + rest


def _meta(tree: HtmlElement, names: tuple[str, ...], now: datetime | None) -> list[Stamp]:
    """Values of <meta property|name|itemprop=...> in the order of ``names``."""
    found: dict[str, list[Stamp]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content") or meta.get("datetime")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key in names:
                stamp = parse_time(content, now)
                if stamp is not None:
                    found.setdefault(key, []).append(stamp)
                break
    return [s for name in names for s in found.get(name, [])]


def _times(tree: HtmlElement, now: datetime | None) -> tuple[list[Stamp], list[Stamp]]:
    """<time datetime> values: (marked as the publication time, unmarked in the article)."""
    marked: list[Stamp] = []
    plain: list[Stamp] = []
    for el in tree.iter("time"):
        stamp = parse_time(el.get("datetime") or "", now)
        if stamp is None:
            continue
        prop = (el.get("itemprop") or "").lower()
        cls = (el.get("class") or "").lower()
        if prop == "datemodified" or "modified" in cls or "updated" in cls:
            continue
        if el.get("pubdate") is not None or prop == "datepublished" or "publish" in cls:
            marked.append(stamp)
        elif any(a.tag in ("article", "main", "header") for a in el.iterancestors()):
            plain.append(stamp)
    return marked, plain[:1]


def page_time(
    tree: HtmlElement, url: str | None, now: datetime | None = None
) -> tuple[Stamp | None, str | None]:
    """The page's publication time and where it was read ("json-ld", "meta", "time",
    "url", "modified"), or (None, None)."""
    marked, plain = _times(tree, now)
    ranked: list[tuple[str, list[Stamp]]] = [
        ("json-ld", _jsonld(tree, "datePublished", now)),
        ("meta", _meta(tree, PUBLISHED_META, now)),
        ("time", marked),
        ("url", [s for s in [url_date(url, now)] if s]),
        ("time", plain),
    ]
    chosen: Stamp | None = None
    source: str | None = None
    for name, stamps in ranked:
        for stamp in stamps:
            if chosen is None:
                chosen, source = stamp, name
            elif _finer(stamp, chosen) and chosen.covers(stamp):
                chosen, source = stamp, f"{source}+{name}"
    if chosen is not None:
        return chosen, source
    modified = _jsonld(tree, "dateModified", now) + _meta(tree, MODIFIED_META, now)
    if modified:
        return modified[0], "modified"
    return None, None


def _finer(a: Stamp, b: Stamp) -> bool:
    return rank(a.precision) < rank(b.precision)
