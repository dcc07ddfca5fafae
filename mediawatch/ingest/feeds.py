"""Feeds and sitemaps into items: RSS 2.0, RSS 1.0/RDF, Atom, JSON Feed, XML sitemaps,
sitemap indexes and Google News sitemaps.

The kind is told by the content, not the URL or the content type (servers get those
wrong). RSS, RDF and Atom go through feedparser, which also recovers what it can
from malformed XML (recorded as a warning); sitemaps through lxml with a parser that
neither loads DTDs nor expands entities. Items carry what the feed says about them;
their pages are fetched and extracted later.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from mediawatch.ingest.gzipped import gunzip_bounded
from mediawatch.ingest.urls import url_key, url_problem
from mediawatch.times import Stamp, parse_iso, parse_time

MAX_SUMMARY_CHARS = 2000


class FeedError(ValueError):
    """The document is not a usable feed or sitemap; the reason says why."""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed or sitemap, as the feed describes it."""

    link: str  # absolute URL of the article page
    position: int  # 1-based place in the document, for people
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None  # naive UTC
    updated_at: datetime | None = None
    published_precision: str | None = None  # mediawatch.times: second, minute, day, month

    @property
    def key(self) -> str:
        """Identity within its feed: the guid when there is one, else the URL."""
        return f"guid:{self.guid}" if self.guid else f"url:{url_key(self.link)}"

    def fingerprint(self) -> str:
        """Changes when what the feed says about the item changes: then its page is
        fetched again (a known item with the same fingerprint is not)."""
        h = hashlib.blake2b(digest_size=16)
        for part in (
            self.link,
            self.title or "",
            self.summary or "",
            self.published_at.isoformat() if self.published_at else "",
            self.updated_at.isoformat() if self.updated_at else "",
        ):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()


@dataclass(frozen=True)
class ItemProblem:
    """An entry that was left out, and why (recorded as a failure of stage 'feed')."""

    position: int
    reason: str
    link: str | None = None


@dataclass
class ParsedFeed:
    kind: str  # rss | rdf | atom | jsonfeed | sitemap | news-sitemap | sitemap-index
    title: str | None = None
    items: list[FeedItem] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemap index
    problems: list[ItemProblem] = field(default_factory=list)
    warning: str | None = None  # e.g. malformed XML that was partly recovered


_HTML = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_ROOT = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex|rss|RDF|feed|html)[\s>/]", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def parse_feed(
    body: bytes,
    url: str,
    *,
    content_type: str = "",
    charset: str | None = None,
    max_bytes: int = 50_000_000,
) -> ParsedFeed:
    """Parse a fetched feed or sitemap; raises FeedError with a reason a person can act on."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, max_bytes)
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FeedError("empty response: no feed or sitemap")
    if head[:1] in (b"{", b"["):
        parsed = _parse_json_feed(body, url, charset)
    elif _HTML.match(head) or (_root(head) == "html"):
        raise FeedError(
            f"an HTML page, not a feed or sitemap (content type {content_type or 'not given'})"
        )
    elif _root(head) in ("urlset", "sitemapindex"):
        parsed = _parse_sitemap(body, url)
    elif head.startswith(b"<") or _root(head):
        parsed = _parse_xml_feed(body, url, content_type, charset)
    else:
        given = content_type or "not given"
        raise FeedError(f"neither XML nor JSON: not a feed or sitemap (content type {given})")
    parsed.items, more = _dedupe(parsed.items)
    parsed.problems.extend(more)
    return parsed


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    try:
        return gunzip_bounded(body, max_bytes)
    except ValueError as exc:
        raise FeedError(str(exc)) from None


def _root(head: bytes) -> str | None:
    m = _ROOT.search(head)
    return m[1].decode().lower() if m else None


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _SPACE.sub(" ", value).strip() or None


def _plain(value: object) -> str | None:
    """Feed summaries are HTML: keep the words."""
    text = _text(value)
    if text is None:
        return None
    text = _text(html.unescape(_TAG.sub(" ", text)))
    return text[:MAX_SUMMARY_CHARS] if text else None


def _web_link(base: str, link: object) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
    except ValueError:  # a broken IPv6 address
        return None
    return None if url_problem(absolute) else absolute  # a bad port: no usable link


def parse_stamp(value: object) -> Stamp | None:
    """ISO 8601 / RFC 3339 / W3C datetime (sitemaps, JSON Feed): naive UTC and precision."""
    return parse_iso(value, plausible=False) if isinstance(value, str) else None


def parse_date(value: object) -> datetime | None:
    """ISO 8601 / RFC 3339 / W3C datetime (sitemaps, JSON Feed) as naive UTC."""
    stamp = parse_stamp(value)
    return stamp.at if stamp else None


def _struct_time(value: object) -> datetime | None:
    """feedparser's *_parsed values are UTC struct_times."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC).replace(tzinfo=None)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_stamp(entry: dict, key: str) -> Stamp | None:
    """An RSS/Atom date: feedparser's UTC instant (it knows many formats and zone names),
    with the precision the raw value has (RFC 822 times may lack seconds, Atom and
    dc:date values may be dates only)."""
    at = _struct_time(dict.get(entry, f"{key}_parsed"))
    if at is None:
        return None
    raw = dict.get(entry, key)
    own = parse_time(raw, plausible=False)
    if own is not None:
        return Stamp(own.at if own.precision in ("day", "month") else at, own.precision)
    return Stamp(at, "second" if ":" in str(raw or "") else "day")


def _dedupe(items: list[FeedItem]) -> tuple[list[FeedItem], list[ItemProblem]]:
    """One entry per guid and per link; the first one wins, later ones are recorded."""
    by_guid: dict[str, int] = {}
    by_link: dict[str, int] = {}
    kept: list[FeedItem] = []
    problems: list[ItemProblem] = []
    for item in items:
        link_key = url_key(item.link)
        if item.guid and item.guid in by_guid:
            problems.append(
                ItemProblem(
                    item.position,
                    f"duplicate guid {item.guid!r} in the feed "
                    f"(first at item {by_guid[item.guid]})",
                    item.link,
                )
            )
            continue
        if link_key in by_link:
            problems.append(
                ItemProblem(
                    item.position,
                    f"duplicate link in the feed (first at item {by_link[link_key]})",
                    item.link,
                )
            )
            continue
        if item.guid:
            by_guid[item.guid] = item.position
        by_link[link_key] = item.position
        kept.append(item)
    return kept, problems


# --- RSS 2.0, RSS 1.0/RDF, Atom ------------------------------------------------------------


def _parse_xml_feed(body: bytes, url: str, content_type: str, charset: str | None) -> ParsedFeed:
    import feedparser  # lazy: only polls need it

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type + (f"; charset={charset}" if charset else "")
    # Bytes, never a string: feedparser would fetch a string that looks like a URL.
    d = feedparser.parse(bytes(body), response_headers=headers, sanitize_html=False)
    error = d.get("bozo_exception") if d.get("bozo") else None
    benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    malformed = error is not None and not isinstance(error, benign)
    version = d.get("version") or ""
    if not version and not d.entries:
        if malformed:
            raise FeedError(f"malformed XML, not a readable feed ({_describe(error)})")
        raise FeedError("XML, but not an RSS, Atom or RDF feed, nor a sitemap")
    kind = (
        "atom" if version.startswith("atom") else "rdf" if version in ("rss10", "rss090") else "rss"
    )
    parsed = ParsedFeed(kind=kind, title=_text(d.feed.get("title")))
    if malformed:
        parsed.warning = (
            f"malformed XML ({_describe(error)}); {len(d.entries)} item(s) recovered by the "
            "lenient parser"
        )
    for position, entry in enumerate(d.entries, start=1):
        guid = _text(entry.get("id"))
        link = _web_link(url, entry.get("link"))
        if link is None:
            alternates = [
                lk.get("href")
                for lk in entry.get("links", [])
                if lk.get("rel", "alternate") == "alternate"
            ]
            link = next((w for a in alternates if (w := _web_link(url, a))), None)
        if link is None:
            given = entry.get("link")
            parsed.problems.append(
                ItemProblem(
                    position,
                    f"item link is not a web URL: {given!r}" if given else "item has no link",
                )
            )
            continue
        # dict.get: feedparser would answer 'updated' with the published date otherwise
        published = _entry_stamp(entry, "published")
        if published is None and kind == "rdf":
            # RSS 1.0 dates items with dc:date only, which feedparser calls 'updated'
            published = _entry_stamp(entry, "updated")
        parsed.items.append(
            FeedItem(
                link=link,
                position=position,
                guid=guid,
                title=_plain(entry.get("title")),
                summary=_plain(entry.get("summary")),
                published_at=published.at if published else None,
                updated_at=_struct_time(dict.get(entry, "updated_parsed")),
                published_precision=published.precision if published else None,
            )
        )
    return parsed


def _describe(error: object) -> str:
    return str(error).replace("<unknown>:", "line ", 1) or type(error).__name__


# --- JSON Feed ---------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str, charset: str | None) -> ParsedFeed:
    try:
        data = json.loads(body.decode(charset or "utf-8", errors="replace").lstrip("\ufeff"))
    except (json.JSONDecodeError, LookupError) as exc:
        raise FeedError(f"malformed JSON, not a readable JSON Feed ({exc})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or "jsonfeed.org" not in version:
        raise FeedError("JSON, but not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an 'items' list")
    parsed = ParsedFeed(kind="jsonfeed", title=_text(data.get("title")))
    base = _web_link(url, data.get("feed_url")) or url
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            parsed.problems.append(ItemProblem(position, "item is not a JSON object"))
            continue
        given = item.get("url") or item.get("external_url")
        link = _web_link(base, given)
        if link is None:
            reason = f"item link is not a web URL: {given!r}" if given else "item has no url"
            parsed.problems.append(ItemProblem(position, reason))
            continue
        guid = item.get("id")
        published = parse_stamp(item.get("date_published"))
        parsed.items.append(
            FeedItem(
                link=link,
                position=position,
                guid=str(guid).strip() or None if guid not in (None, "") else None,
                title=_plain(item.get("title")),
                summary=_plain(item.get("summary") or item.get("content_text")),
                published_at=published.at if published else None,
                updated_at=parse_date(item.get("date_modified")),
                published_precision=published.precision if published else None,
            )
        )
    return parsed


# --- sitemaps ----------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return _text(child.text)
    return None


def _parse_sitemap(body: bytes, url: str) -> ParsedFeed:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed XML, not a readable sitemap ({exc})") from None
    kind = _local(root.tag)
    if kind == "sitemapindex":
        parsed = ParsedFeed(kind="sitemap-index")
        for position, entry in enumerate((e for e in root if _local(e.tag) == "sitemap"), 1):
            loc = _child_text(entry, "loc")
            link = _web_link(url, loc)
            if link is None:
                parsed.problems.append(ItemProblem(position, "sitemap entry without a web <loc>"))
            elif link not in parsed.sitemaps:
                parsed.sitemaps.append(link)
        return parsed
    parsed = ParsedFeed(kind="sitemap")
    for position, entry in enumerate((e for e in root if _local(e.tag) == "url"), start=1):
        loc = _child_text(entry, "loc")
        link = _web_link(url, loc)
        if link is None:
            reason = f"<loc> is not a web URL: {loc!r}" if loc else "sitemap entry has no <loc>"
            parsed.problems.append(ItemProblem(position, reason))
            continue
        title = published = None
        for child in entry:
            if _local(child.tag) == "news":
                parsed.kind = "news-sitemap"
                title = _child_text(child, "title")
                published = parse_stamp(_child_text(child, "publication_date"))
        parsed.items.append(
            FeedItem(
                link=link,
                position=position,
                title=title,
                published_at=published.at if published else None,
                updated_at=parse_date(_child_text(entry, "lastmod")),
                published_precision=published.precision if published else None,
            )
        )
    return parsed
