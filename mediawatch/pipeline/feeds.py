"""Feeds: which to poll, polling, planning the items, fetching pages, recording items and polls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mediawatch.config import FeedSource, Settings
from mediawatch.ingest import poll
from mediawatch.ingest.fetch import FetchSession
from mediawatch.ingest.poll import FeedPoll
from mediawatch.ingest.urls import url_key
from mediawatch.pipeline.db import open_reader, open_writer, utcnow
from mediawatch.pipeline.summary import BatchReport
from mediawatch.records import Failure, RawDocument
from storage import articles as articles_db
from storage import feeds as feeds_db
from storage import runs as runs_db
from storage.connection import transaction


@dataclass(frozen=True)
class ItemUpdate:
    """What became of one feed item in this batch, recorded with the batch."""

    feed_url: str
    poll_url: str
    item_key: str
    guid: str | None
    link: str
    item_hash: str
    doc_url: str | None = None  # the fetched page (its final URL); None: not fetched
    article_id: int | None = None  # the stored article it stands for, when known before
    reason: str | None = None  # why the page was not usable (permanent failures)


def feed_sources(
    urls: list[str], settings: Settings, configured: bool = False, due_only: bool = False
) -> list[FeedSource]:
    """The feeds of a run: every configured one (``configured``), and URLs given.

    ``due_only`` keeps the feeds whose poll interval has passed since their last poll.
    """
    out: list[FeedSource] = list(settings.feeds.sources) if configured else []
    for url in urls:
        if url not in {s.url for s in out}:
            out.append(settings.feeds.source_for(url))
    if due_only and out and settings.db_path.exists():
        with open_writer(settings) as conn:  # a writer: an older database is migrated first
            states = feeds_db.states(conn, [s.url for s in out])
        now = utcnow()
        out = [
            s
            for s in out
            if (st := states.get(s.url)) is None
            or st.last_poll is None
            or st.last_poll + timedelta(minutes=s.poll_minutes or settings.feeds.poll_minutes)
            <= now
        ]
    return out


def poll_feeds(
    session: FetchSession, sources: list[FeedSource], settings: Settings
) -> list[FeedPoll]:
    """Fetch every feed (conditional GET with the stored validators) and parse it."""
    stored: dict[str, poll.StoredFeed] = {}
    if settings.db_path.exists():
        with open_reader(settings) as conn:
            urls = [s.url for s in sources]
            kids = {u: feeds_db.children(conn, [u]) for u in urls}
            states = feeds_db.states(conn, [*urls, *(c for cs in kids.values() for c in cs)])
        for url, st in states.items():
            stored[url] = poll.StoredFeed(
                st.etag, st.last_modified, st.content_hash, st.pending, tuple(kids.get(url, ()))
            )
    return session.run(poll.poll_feeds(session.fetcher, sources, stored, settings.feeds))


def plan_feed_items(polls: list[FeedPoll], settings: Settings) -> poll.Plan:
    """Which items need their page: known items with unchanged feed data do not."""
    keys = [(top.owner, i.key) for top in polls for p in top.walk() for i in p.items]
    links = [url_key(i.link) for top in polls for p in top.walk() for i in p.items]
    with open_reader(settings) as conn:
        items = {
            k: poll.KnownItem(s.article_id, s.item_hash)
            for k, s in feeds_db.item_states(conn, keys).items()
        }
        articles = {k: poll.KnownArticle(*v) for k, v in articles_db.fetched(conn, links).items()}
    return poll.plan(polls, items, articles)


def fetch_feed_pages(session: FetchSession, work: list[poll.WorkItem]) -> list[poll.PageOutcome]:
    return session.run(poll.fetch_pages(session.fetcher, work, utcnow(), session.deadlines))


@dataclass
class PageBatch:
    """One batch of fetched pages, ready for extraction, with the item records to store."""

    docs: list[RawDocument]
    failures: list[Failure]
    items: list[ItemUpdate]
    pending: set[str]  # polls with items left for the next run (transient failures)


def page_batch(work: list[poll.WorkItem], outcomes: list[poll.PageOutcome]) -> PageBatch:
    """Documents and failures of the fetched pages; an item update for each item that is
    done (stored, linked, or rejected for good). Refused items (robots.txt, allow-list,
    private addresses) are recorded as failures only: they are looked at again whenever
    the feed is read, and never fetched while refused."""
    by_key = {o.fetch_key: o for o in outcomes}
    out = PageBatch(
        docs=[o.doc for o in outcomes if o.doc is not None],
        failures=[o.failure for o in outcomes if o.failure is not None],
        items=[],
        pending=set(),
    )
    for w in work:
        common = (w.feed_url, w.poll_url, w.item.key, w.item.guid, w.item.link, w.item_hash)
        if w.action == "link":
            out.items.append(ItemUpdate(*common, article_id=w.article_id))
            continue
        o = by_key[w.fetch_key]
        if o.doc is not None:
            out.items.append(ItemUpdate(*common, doc_url=o.doc.url, article_id=w.article_id))
        elif o.kind == "transient":
            out.pending.add(w.poll_url)
        elif o.kind == "permanent" and o.failure is not None:
            out.items.append(ItemUpdate(*common, article_id=w.article_id, reason=o.failure.reason))
    return out


def save_items(conn, items: list[ItemUpdate], failures: list[Failure], report: BatchReport) -> None:
    """Record the batch's feed items; an item whose page gave no article is 'rejected'."""
    failed = {f.url: f.reason for f in failures if f.url}
    stored = articles_db.known(conn, (url_key(u.doc_url) for u in items if u.doc_url))
    new_ids = set(report.new_article_ids)
    rows: list[feeds_db.ItemRow] = []
    for u in items:
        if u.doc_url is None:
            status = "rejected" if u.reason else "linked"
            article_id, reason = u.article_id, u.reason
        elif u.doc_url in failed:
            status, article_id, reason = "rejected", u.article_id, failed[u.doc_url]
        else:
            k = stored.get(url_key(u.doc_url))
            article_id = k.article_id if k is not None else u.article_id
            status, reason = ("stored", None) if article_id is not None else ("rejected", None)
            if article_id in new_ids:
                report.feed_new[u.poll_url] = report.feed_new.get(u.poll_url, 0) + 1
        rows.append(
            feeds_db.ItemRow(
                u.feed_url,
                u.item_key,
                u.guid,
                u.link,
                u.item_hash,
                article_id,
                status,
                reason,
                u.doc_url is not None,
            )
        )
    feeds_db.save_items(conn, rows, utcnow())


def finish_feeds(
    polls: list[FeedPoll],
    deferred: dict[str, int],
    pending: set[str],
    new: dict[str, int],
    run_id: int,
    settings: Settings,
) -> list[Failure]:
    """Record each feed's poll (validators, health) and its failures, after its items.

    Written last, in one transaction: a run that dies before this point polls the feed
    in full again next time (with the old validators), so no item is lost to a 304.
    """
    now = utcnow()
    records: list[feeds_db.PollRecord] = []
    failures: list[Failure] = []
    for top in polls:
        for p in top.walk():
            failures.extend(p.failures)
            read = p.status in ("ok", "empty")
            records.append(
                feeds_db.PollRecord(
                    feed_url=p.url,
                    name=p.name or p.title,
                    parent_url=p.parent_url,
                    kind=p.kind,
                    status=p.status,
                    at=now,
                    etag=p.etag,
                    last_modified=p.last_modified,
                    content_hash=p.content_hash,
                    pending=bool(deferred.get(p.url)) or p.url in pending,
                    items_seen=len(p.items) if read else None,
                    items_new=new.get(p.url, 0),
                    error=p.error,
                )
            )
    with open_writer(settings) as conn, transaction(conn):
        feeds_db.save_polls(conn, records)
        runs_db.record_failures(conn, run_id, failures)
    return failures
