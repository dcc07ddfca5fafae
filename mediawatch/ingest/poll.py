"""Polling feeds: fetch each feed (conditionally), decide which items need their page,
fetch those pages. Plain async functions over a ``Fetcher``; no database here (the
caller passes the stored state in and stores what comes out).

Why items are decided before any page is fetched: a known item whose feed data did
not change is skipped without a request, so polling an unchanged feed twice fetches
no page the second time, and a 304 (or an unchanged body) fetches nothing more.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from mediawatch.config import FeedSettings, FeedSource
from mediawatch.extract.html import decode_html
from mediawatch.ingest.deadline import Deadlines
from mediawatch.ingest.feeds import FeedError, FeedItem, parse_feed
from mediawatch.ingest.fetch import Fetcher, FetchError, Response
from mediawatch.ingest.urls import url_key
from mediawatch.records import Failure, RawDocument

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class StoredFeed:
    """The part of a feed's stored state a poll needs."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    pending: bool = False  # items were left over: read the feed in full
    children: tuple[str, ...] = ()  # child sitemaps of an index, from earlier polls


@dataclass
class FeedPoll:
    """One poll of one feed or child sitemap."""

    url: str
    owner: str  # the configured feed its items belong to (itself, or the sitemap index)
    name: str | None  # configured name: the articles' source
    allowed: frozenset[str]
    max_items: int
    parent_url: str | None = None
    status: Literal["ok", "not-modified", "unchanged", "empty", "failed"] = "failed"
    kind: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    items: list[FeedItem] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None
    transient: bool = False  # failed for a reason that may pass
    pending: bool = False  # items left for the next run
    sitemaps: list[str] | None = None  # child sitemaps, when this is a sitemap index
    children: list[FeedPoll] = field(default_factory=list)

    def walk(self) -> Iterator[FeedPoll]:
        yield self
        for child in self.children:
            yield from child.walk()


def allowed_hosts(source: FeedSource, settings: FeedSettings) -> frozenset[str]:
    """The feed's own host (subdomains included) on its own port and the web ports, its
    listed hosts, and the global list (``host`` or ``host:port``)."""
    from mediawatch.ingest.fetch import _host, host_entry
    from mediawatch.ingest.urls import url_problem

    # a URL that cannot be fetched allows nothing of its own: its poll fails, recorded
    own = set() if url_problem(source.url) else {_host(source.url), host_entry(source.url)}
    return frozenset({*own, *source.allowed_hosts, *settings.allowed_hosts})


def body_hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


async def poll_feeds(
    fetcher: Fetcher,
    sources: list[FeedSource],
    stored: dict[str, StoredFeed],
    settings: FeedSettings,
) -> list[FeedPoll]:
    """Every feed at once (hosts are limited by the fetcher); one feed's trouble stays its own."""
    return list(
        await asyncio.gather(*(_poll_source(fetcher, s, stored, settings) for s in sources))
    )


async def _poll_source(
    fetcher: Fetcher, source: FeedSource, stored: dict[str, StoredFeed], settings: FeedSettings
) -> FeedPoll:
    poll = FeedPoll(
        url=source.url,
        owner=source.url,
        name=source.name or None,
        allowed=allowed_hosts(source, settings),
        max_items=source.max_items or settings.max_items,
    )
    state = stored.get(source.url, StoredFeed())
    await _poll(fetcher, poll, state)
    # An unchanged sitemap index still has children that may have changed.
    unchanged = poll.status in ("not-modified", "unchanged")
    urls = poll.sitemaps if poll.sitemaps is not None else list(state.children) if unchanged else []
    if urls:
        if len(urls) > settings.max_sitemaps:
            poll.failures.append(
                Failure(
                    source.url,
                    "feed",
                    f"sitemap index lists {len(urls)} sitemaps; read the first "
                    f"{settings.max_sitemaps} (feeds.max_sitemaps)",
                    source.url,
                )
            )
            urls = urls[: settings.max_sitemaps]
        poll.children = [
            FeedPoll(
                url=u,
                owner=source.url,
                name=poll.name,
                allowed=poll.allowed,
                max_items=poll.max_items,
                parent_url=source.url,
            )
            for u in urls
        ]
        await asyncio.gather(
            *(
                _poll(fetcher, c, stored.get(c.url, StoredFeed()), nested=True)
                for c in poll.children
            )
        )
    return poll


async def _poll(fetcher: Fetcher, poll: FeedPoll, state: StoredFeed, nested: bool = False) -> None:
    """Fetch and parse one feed document into ``poll``; never raises for bad input."""
    headers = {"Accept": FEED_ACCEPT}
    if not state.pending:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    try:
        response = await fetcher.get(
            poll.url, purpose="feed", allowed=poll.allowed, headers=headers
        )
    except FetchError as exc:
        _fail(poll, exc.stage, exc.reason, exc.transient)
        return
    except Exception as exc:  # a bug must not end the other feeds' polls
        _fail(poll, "fetch", f"unexpected error: {type(exc).__name__}: {exc}", True)
        return
    poll.etag = response.headers.get("etag") or state.etag
    poll.last_modified = response.headers.get("last-modified") or state.last_modified
    if response.status == 304:
        poll.status, poll.content_hash = "not-modified", state.content_hash
        return
    poll.content_hash = body_hash(response.body)
    if not state.pending and state.content_hash == poll.content_hash:
        poll.status = "unchanged"  # a server that does not do conditional GET
        return
    _parse(poll, response, fetcher.settings, nested)


def _fail(poll: FeedPoll, stage: str, reason: str, transient: bool) -> None:
    poll.status, poll.error, poll.transient = "failed", reason, transient
    poll.failures.append(Failure(poll.url, stage, reason, poll.url))


def _parse(poll: FeedPoll, response: Response, settings: FeedSettings, nested: bool) -> None:
    try:
        parsed = parse_feed(
            response.body,
            response.url,
            content_type=response.content_type,
            charset=response.charset,
            max_bytes=settings.max_body_bytes,
        )
    except FeedError as exc:
        _fail(poll, "feed", str(exc), False)
        return
    poll.kind, poll.title = parsed.kind, parsed.title
    if parsed.warning:
        poll.failures.append(Failure(poll.url, "feed", parsed.warning, poll.url))
    for problem in parsed.problems:
        poll.failures.append(
            Failure(f"{poll.url} item {problem.position}", "feed", problem.reason, problem.link)
        )
    if parsed.kind == "sitemap-index":
        if nested:
            poll.failures.append(
                Failure(poll.url, "feed", "nested sitemap index: not followed", poll.url)
            )
        else:
            poll.sitemaps = parsed.sitemaps
        poll.status = "ok" if parsed.sitemaps else "empty"
        if not parsed.sitemaps:
            poll.failures.append(Failure(poll.url, "feed", "the sitemap index lists no sitemaps"))
        return
    poll.items = parsed.items
    if parsed.items:
        poll.status = "ok"
    else:
        poll.status = "empty"
        poll.failures.append(
            Failure(
                poll.url,
                "feed",
                "the feed lists no items" if not parsed.problems else "no usable items in the feed",
                poll.url,
            )
        )


# --- which pages to fetch ----------------------------------------------------------------


@dataclass(frozen=True)
class KnownItem:
    article_id: int | None
    item_hash: str


@dataclass(frozen=True)
class KnownArticle:
    article_id: int
    fetched_at: datetime


@dataclass(frozen=True)
class WorkItem:
    """An item whose page is fetched (or that is linked to an article stored before)."""

    feed_url: str  # owner: the configured feed
    poll_url: str  # the feed or child sitemap that listed it
    source: str | None  # the feed's name, stored as the articles' source
    item: FeedItem
    item_hash: str
    allowed: frozenset[str]
    article_id: int | None = None  # the stored article it stands for (a revision candidate)
    action: Literal["fetch", "link"] = "fetch"

    @property
    def origin(self) -> str:
        """Where the article came from, for people: the listing feed and the item's place."""
        return f"{self.poll_url} item {self.item.position}"

    @property
    def fetch_key(self) -> str:
        """Items of several feeds with one link share one fetch."""
        return url_key(self.item.link)


@dataclass
class Plan:
    work: list[WorkItem] = field(default_factory=list)
    considered: int = 0
    known: int = 0  # skipped: stored before, feed data unchanged
    linked: int = 0  # new to the feed, but the article was stored before (no request)
    deferred: dict[str, int] = field(default_factory=dict)  # poll url -> items left over

    def chunks(self, size: int) -> Iterator[list[WorkItem]]:
        """Batches of ``size`` pages; items sharing a page stay in one batch."""
        chunk: list[WorkItem] = []
        fetches: set[str] = set()
        for w in self.work:
            if w.action == "fetch" and w.fetch_key not in fetches and len(fetches) >= size:
                yield chunk
                chunk, fetches = [], set()
            chunk.append(w)
            if w.action == "fetch":
                fetches.add(w.fetch_key)
        if chunk:
            yield chunk


def plan(
    polls: list[FeedPoll],
    items: dict[tuple[str, str], KnownItem],
    articles: dict[str, KnownArticle],
) -> Plan:
    """Decide per item: skip (known, unchanged), link (stored from elsewhere) or fetch.

    A known item whose feed data changed is fetched again as a revision candidate of
    its article. An item new to this feed whose URL is already stored (from another
    feed or a file) is linked without a request, unless the feed dates it after the
    stored copy was fetched. At most ``max_items`` pages per feed and run; newest
    first when the feed gives dates, the rest wait for the next run.
    """
    out = Plan()
    for top in polls:
        candidates: list[WorkItem] = []
        for poll in top.walk():
            for item in poll.items:
                out.considered += 1
                h = item.fingerprint()
                known = items.get((top.owner, item.key))
                if known is not None and known.item_hash == h:
                    out.known += 1
                    continue
                work = WorkItem(
                    top.owner,
                    poll.url,
                    top.name,
                    item,
                    h,
                    top.allowed,
                    known.article_id if known else None,
                )
                stored = articles.get(url_key(item.link)) if known is None else None
                if stored is not None:
                    declared = item.updated_at or item.published_at
                    if declared is None or declared <= stored.fetched_at:
                        out.work.append(_replace(work, article_id=stored.article_id, action="link"))
                        out.linked += 1
                        continue
                    work = _replace(work, article_id=stored.article_id)
                candidates.append(work)
        candidates.sort(key=_newest_first)
        for w in candidates[top.max_items :]:
            out.deferred[w.poll_url] = out.deferred.get(w.poll_url, 0) + 1
        out.work.extend(candidates[: top.max_items])
    return out


def _replace(w: WorkItem, **changes: object) -> WorkItem:
    from dataclasses import replace

    return replace(w, **changes)  # type: ignore[arg-type]


def _newest_first(w: WorkItem) -> tuple[int, float, int]:
    when = w.item.updated_at or w.item.published_at
    return (0, -when.timestamp(), w.item.position) if when else (1, 0.0, w.item.position)


# --- fetching the pages ------------------------------------------------------------------


@dataclass(frozen=True)
class PageOutcome:
    """What fetching one page gave: a document, or a failure and its kind
    (transient: try again next run; permanent: the page is unusable; refused: our rules)."""

    fetch_key: str
    doc: RawDocument | None = None
    failure: Failure | None = None
    kind: str | None = None


async def fetch_pages(
    fetcher: Fetcher, work: list[WorkItem], now: datetime, deadlines: Deadlines | None = None
) -> list[PageOutcome]:
    """Each distinct page once, concurrently across hosts, within each host's limits,
    and within the feed's and the run's time for pages (``deadlines``)."""
    first: dict[str, WorkItem] = {}
    for w in work:
        if w.action == "fetch":
            first.setdefault(w.fetch_key, w)
    return list(
        await asyncio.gather(*(_within(fetcher, w, now, deadlines) for w in first.values()))
    )


async def _within(
    fetcher: Fetcher, w: WorkItem, now: datetime, deadlines: Deadlines | None
) -> PageOutcome:
    """One page, given up (a transient failure: the item waits for the next run) once
    its feed's or the run's deadline has passed, in flight or not yet started."""
    if deadlines is None:
        return await _fetch_page(fetcher, w, now)
    deadlines.start_feed(w.feed_url)
    limit = deadlines.next(w.feed_url)
    if limit is None:
        return await _fetch_page(fetcher, w, now)
    at, reason = limit
    late = PageOutcome(
        w.fetch_key, failure=Failure(w.origin, "fetch", reason, w.item.link), kind="transient"
    )
    if at <= time.monotonic():
        return late
    try:
        async with asyncio.timeout(at - time.monotonic()):
            return await _fetch_page(fetcher, w, now)
    except TimeoutError:
        return late


async def _fetch_page(fetcher: Fetcher, w: WorkItem, now: datetime) -> PageOutcome:
    link = w.item.link
    try:
        response = await fetcher.get(
            link, purpose="page", allowed=w.allowed, headers={"Accept": PAGE_ACCEPT}
        )
        if response.status == 304 or not response.body.strip():
            raise FetchError("empty response: no page")
    except FetchError as exc:
        return PageOutcome(
            w.fetch_key, failure=Failure(w.origin, exc.stage, exc.reason, link), kind=exc.kind
        )
    except Exception as exc:
        reason = f"unexpected error: {type(exc).__name__}: {exc}"
        return PageOutcome(
            w.fetch_key, failure=Failure(w.origin, "fetch", reason, link), kind="transient"
        )
    doc = RawDocument(
        url=response.url,
        origin=w.origin,
        content=decode_html(response.body, response.charset),
        content_type="html",
        fetched_at=now,
        title=w.item.title,
        published_at=w.item.published_at,
        published_precision=w.item.published_precision,
        source=w.source,
        guid=w.item.guid,
        summary=w.item.summary,
    )
    return PageOutcome(w.fetch_key, doc=doc)
