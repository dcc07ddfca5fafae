"""The pipeline's glue between stages, as plain functions the flow calls as tasks.

Per batch: skip what is stored unchanged -> extract -> fingerprint ->
match, cluster and store in one transaction (``store_batch``).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mediawatch.cluster.stories import ArticleFeatures, Params, assign_batch
from mediawatch.config import FeedSource, Settings
from mediawatch.extract.html import SiteBoilerplate, line_hash
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.ingest import poll
from mediawatch.ingest.fetch import FetchSession
from mediawatch.ingest.local import iter_local
from mediawatch.ingest.poll import FeedPoll
from mediawatch.ingest.urls import host_of, url_key
from mediawatch.match.batch import NewArticle, fingerprint_from_keys, match_batch
from mediawatch.match.revise import reverify
from mediawatch.match.verify import line_keys
from mediawatch.prepare import raw_hash
from mediawatch.records import Failure, Fingerprinted, RawDocument
from storage import articles as articles_db
from storage import dedup as dedup_db
from storage import feeds as feeds_db
from storage import retention as retention_db
from storage import runlock
from storage import runs as runs_db
from storage import search as search_db
from storage import sites as sites_db
from storage import stories as stories_db
from storage.connection import Compaction, compact, reader, transaction, writer


@dataclass
class BatchReport:
    """What one stored batch changed."""

    new_articles: int = 0
    already_known: int = 0
    extracted: int = 0  # articles that came out of extraction (and were fingerprinted)
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    feed_new: dict[str, int] = field(default_factory=dict)  # poll url -> new articles
    revised_article_ids: list[int] = field(default_factory=list)


@dataclass
class RunSummary:
    """What a whole run changed; printed by `mediawatch ingest` and kept in `runs`."""

    run_id: int
    db: str
    documents: int = 0
    new_articles: int = 0
    already_known: int = 0
    extracted: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    feeds_polled: int = 0
    feeds_unchanged: int = 0  # 304, or the same body as last time
    pages_fetched: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def add(self, report: BatchReport, documents: int, already_known: int = 0) -> None:
        self.documents += documents
        self.already_known += already_known + report.already_known
        for name in (
            "new_articles",
            "extracted",
            "exact_copies",
            "revisions",
            "new_groups",
            "grown_groups",
            "new_stories",
            "grown_stories",
        ):
            setattr(self, name, getattr(self, name) + getattr(report, name))
        self.failures.extend(report.failures)
        self.new_article_ids.extend(report.new_article_ids)
        self.elapsed = time.monotonic() - self.started

    def failed_by_stage(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.failures:
            out[f.stage] = out.get(f.stage, 0) + 1
        return dict(sorted(out.items()))

    def counts(self) -> dict[str, int | float | dict[str, int]]:
        """What the run did, stage by stage: items read, skipped as already stored,
        extracted, stored (new articles and revisions), failed per stage."""
        return {
            "documents": self.documents,
            "already_known": self.already_known,
            "extracted": self.extracted,
            "stored": self.new_articles + self.revisions,
            "new_articles": self.new_articles,
            "failed_by_stage": self.failed_by_stage(),
            "exact_copies": self.exact_copies,
            "revisions": self.revisions,
            "new_groups": self.new_groups,
            "grown_groups": self.grown_groups,
            "new_stories": self.new_stories,
            "grown_stories": self.grown_stories,
            "failures": len(self.failures),
            "feeds_polled": self.feeds_polled,
            "feeds_unchanged": self.feeds_unchanged,
            "pages_fetched": self.pages_fetched,
            "requests": self.requests,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def batches(
    sources: list[str], settings: Settings
) -> Iterator[tuple[list[RawDocument], list[Failure]]]:
    """Source items in batches of ``run.batch_size`` documents, with their failures."""
    docs: list[RawDocument] = []
    failures: list[Failure] = []
    for item in iter_local(sources, settings.ingest):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            docs.append(item)
        if len(docs) >= settings.run.batch_size:
            yield docs, failures
            docs, failures = [], []
    if docs or failures:
        yield docs, failures


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _writer(settings: Settings):
    return writer(settings.db_path, wait=settings.storage.writer_wait_seconds)


def _reader(settings: Settings):
    """A run's own reads wait as long as its writes would: another run storing a batch
    is no reason to fail."""
    s = settings.storage
    return reader(settings.db_path, wait=max(s.reader_wait_seconds, s.writer_wait_seconds))


# The lock of each run this process has open (released by finish_run, or by the
# kernel when the process dies): other runs can tell it is alive.
_RUN_LOCKS: dict[tuple[str, int], runlock.RunLock] = {}


def start_run(settings: Settings, sources: list[str], kind: str, flow_run_id: str = "") -> int:
    """Record a new run; runs left 'running' by a process that is gone become 'crashed'."""
    host = socket.gethostname()
    lock: runlock.RunLock | None = None
    try:
        with _writer(settings) as conn, transaction(conn):
            dead = dead_runs(settings, runs_db.open_runs(conn), host)
            runs_db.mark_crashed(conn, dead)
            run_id = runs_db.start_run(conn, kind, sources, flow_run_id, os.getpid(), host)
            lock = runlock.acquire(settings.db_path, run_id)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    for r in dead:
        runlock.forget(settings.db_path, r)
    _RUN_LOCKS[(str(settings.db_path), run_id)] = lock
    return run_id


def dead_runs(settings: Settings, runs: list[runs_db.OpenRun], host: str) -> list[int]:
    """The runs among ``runs`` whose process is gone. A run of another host is never
    judged from here (its lock lives on that machine); a run without a host was
    recorded before runs had locks, and is not alive."""
    return [
        r.run_id
        for r in runs
        if (r.host is None or r.host == host) and not runlock.is_alive(settings.db_path, r.run_id)
    ]


def finish_run(
    settings: Settings,
    summary: RunSummary,
    error: str | None = None,
    counts: dict[str, Any] | None = None,
) -> None:
    summary.elapsed = time.monotonic() - summary.started
    with _writer(settings) as conn, transaction(conn):
        runs_db.finish_run(conn, summary.run_id, counts or summary.counts(), error)
    lock = _RUN_LOCKS.pop((str(settings.db_path), summary.run_id), None)
    if lock is not None:
        lock.release()


@dataclass
class VacuumReport:
    """What `mediawatch vacuum` did (or, with dry_run, would do)."""

    run_id: int
    db: str
    prune_days: int  # 0: no pruning
    prune_before: datetime | None  # stories whose latest article is older were pruned
    pruned: retention_db.PruneResult | None
    compaction: Compaction | None
    dry_run: bool = False

    def counts(self) -> dict[str, Any]:
        p, c = self.pruned, self.compaction
        return {
            "pruned_articles": p.articles if p else 0,
            "pruned_revisions": p.revisions if p else 0,
            "pruned_stories": p.stories if p else 0,
            "bytes_before": c.bytes_before if c else None,
            "bytes_after": c.bytes_after if c else None,
        }


def vacuum(
    settings: Settings,
    prune_days: int | None = None,
    compact_file: bool = True,
    dry_run: bool = False,
    flow_run_id: str = "",
) -> VacuumReport:
    """Retention: prune the texts of old, closed stories (``retention.prune_text_after_days``
    unless ``prune_days`` is given; 0: none), then compact the file to give the space back.

    A story is closed once its latest article is older than the matching window; its
    texts go when that article is also older than the retention period.
    """
    days = settings.retention.prune_text_after_days if prune_days is None else prune_days
    now = _now()
    before = now - timedelta(days=max(days, settings.match.window_days)) if days > 0 else None
    if dry_run:  # counts only: no run recorded, nothing written
        report = VacuumReport(0, str(settings.db_path), days, before, None, None, True)
        if before is not None:
            with _reader(settings) as conn:
                report.pruned = retention_db.prune_texts(conn, before, now, dry_run=True)
        return report
    run_id = start_run(settings, [str(settings.db_path)], "vacuum", flow_run_id)
    report = VacuumReport(run_id, str(settings.db_path), days, before, None, None)
    summary = RunSummary(run_id=run_id, db=report.db)
    try:
        if before is not None:
            with _writer(settings) as conn, transaction(conn):
                report.pruned = retention_db.prune_texts(conn, before, now)
        if compact_file:
            report.compaction = compact(settings.db_path, wait=settings.storage.writer_wait_seconds)
    except BaseException as exc:
        finish_run(settings, summary, f"{type(exc).__name__}: {exc}", report.counts())
        raise
    finish_run(settings, summary, counts=report.counts())
    return report


def run_changes(settings: Settings, run_id: int, wait: float | None = None) -> runs_db.RunChanges:
    """What a run changed (new and grown stories, groups, failures), read back."""
    wait = settings.storage.reader_wait_seconds if wait is None else wait
    with reader(settings.db_path, wait=wait) as conn:
        return runs_db.changes(conn, run_id)


def skip_known(docs: list[RawDocument], settings: Settings) -> tuple[list[RawDocument], int]:
    """Drop items stored before with the same content: nothing to extract again."""
    if not docs or not settings.db_path.exists():
        return docs, 0
    with _reader(settings) as conn:
        known = articles_db.known(conn, (url_key(d.url) for d in docs))
    fresh = [
        d for d in docs if (k := known.get(url_key(d.url))) is None or k.raw_hash != raw_hash(d)
    ]
    return fresh, len(docs) - len(fresh)


def store_batch(
    batch: list[Fingerprinted],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str] | None = None,
    items: list[ItemUpdate] | None = None,
) -> BatchReport:
    """Match, cluster and store one batch in a single transaction.

    ``items`` (feed items behind the batch) are recorded in the same transaction, so
    an item counts as done only once its article is stored.
    """
    report = BatchReport(failures=list(failures), extracted=len(batch))
    items = items or []
    revise_of = {u.doc_url: u.article_id for u in items if u.doc_url and u.article_id is not None}
    with _writer(settings) as conn, transaction(conn):
        runs_db.record_failures(conn, run_id, failures)
        if batch:
            _store(conn, batch, run_id, settings, raw_hashes or {}, report, revise_of)
            search_db.index_stored(conn, report.revised_article_ids)
        if items:
            _save_items(conn, items, failures, report)
    return report


def _store(
    conn,
    batch: list[Fingerprinted],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
    revise_of: dict[str, int] | None = None,
) -> None:
    now = _now()
    window = timedelta(days=settings.match.window_days)
    known = articles_db.known(conn, (url_key(f.article.url) for f in batch))
    by_id = articles_db.known_by_id(conn, (revise_of or {}).values())
    fresh: list[Fingerprinted] = []
    revised: list[tuple[articles_db.Known, Fingerprinted]] = []
    seen: set[str | int] = set()
    for f in batch:
        key = url_key(f.article.url)
        k = known.get(key)
        if k is None and revise_of and f.article.original_url in revise_of:
            # a feed item known by its guid, now at another URL: the same article
            k = by_id.get(revise_of[f.article.original_url])
        if key in seen or (k is not None and k.article_id in seen):
            report.already_known += 1
        elif k is not None:
            revised.append((k, f))
            seen.add(k.article_id)
        else:
            fresh.append(f)
        seen.add(key)
    if revised:
        _revise(conn, revised, run_id, settings, raw_hashes, report, now)
    if not fresh:
        return
    if settings.extract.site_boilerplate_min_pages > 0:
        fresh = _drop_site_boilerplate(conn, fresh, settings.extract.site_boilerplate_min_pages)
    fresh.sort(key=lambda f: (f.article.date, f.article.fetched_at, f.article.url))
    ids = articles_db.next_ids(conn, len(fresh))

    # Match: stored candidates through the LSH index, within the window.
    dates = [f.article.date for f in fresh]
    since, until = (min(dates) - window).date(), (max(dates) + window).date()
    keys = [k for f in fresh for k in f.band_keys]
    candidates = dedup_db.candidate_ids(conn, keys, since, until)
    stored, groups = dedup_db.load_neighbourhood(conn, candidates)
    lines = {k for f in fresh for k in line_keys(f.article.text)}
    outcome = match_batch(
        [
            NewArticle(
                i, f.article.text, f.article.date, fingerprint_from_keys(f.band_keys, f.text_hash)
            )
            for i, f in zip(ids, fresh, strict=True)
        ],
        stored,
        groups,
        dedup_db.line_groups(conn, lines),
        dedup_db.furniture(conn),
    )
    articles_db.insert(
        conn,
        [
            (
                i,
                a.url,
                url_key(a.url),
                a.original_url,
                a.guid,
                a.title,
                a.text,
                f.text_hash,
                raw_hashes.get(a.original_url),
                len(a.text.split()),
                a.author,
                a.source,
                a.language,
                a.extractor,
                a.published_at,
                a.fetched_at,
                a.date,
                a.origin,
                run_id,
                now,
                a.summary,
            )
            for i, f in zip(ids, fresh, strict=True)
            for a in [f.article]
        ],
    )
    dedup_db.add_bands(
        conn,
        [
            (kind, key, i, f.article.date.date())
            for i, f in zip(ids, fresh, strict=True)
            for kind, key in f.band_keys
        ],
    )
    dedup_db.save(conn, outcome, run_id, now)
    search_db.add(
        conn,
        [
            (i, f.search_terms if f.search_terms is not None else _search_terms(f))
            for i, f in zip(ids, fresh, strict=True)
        ],
    )
    report.new_articles = len(fresh)
    report.new_article_ids = ids
    report.new_groups, report.grown_groups = outcome.new_groups, outcome.grown_groups
    report.exact_copies = outcome.exact_copies

    # Cluster: the batch joins stored stories (or starts new ones); a duplicate
    # group always stays inside one story.
    feats = [
        ArticleFeatures(
            str(i),
            f.terms.get("words", {}),
            f.terms.get("entities", {}),
            f.terms.get("numbers", {}),
            f.article.published_at,
        )
        for i, f in zip(ids, fresh, strict=True)
    ]
    must_link = [[str(m.article_id) for m in g.members] for g in outcome.groups]
    linked_stored = {m.article_id for g in outcome.groups for m in g.members} - set(ids)
    params = Params(window_days=float(settings.match.window_days))
    loaded = stories_db.load(
        conn,
        feats,
        params,
        min(dates) - window,
        also=set(articles_db.story_of(conn, linked_stored).values()),
    )
    before = dict(loaded.index.story_of)
    assignments = assign_batch(feats, loaded.index, must_link=must_link)
    touched = stories_db.save(conn, loaded, feats, run_id, now)
    merged = stories_db.absorbed(loaded.index)
    memberships = [
        articles_db.Membership(
            int(a.article_id),
            a.story_id,
            a.reason,
            a.score,
            {
                "space_scores": a.space_scores,
                "time_factor": a.time_factor,
                "threshold": a.threshold,
                "fit": a.fit,
                "margin": a.margin,
                "runner_up": a.runner_up,
            },
        )
        for a in assignments
    ]
    for aid, sid in loaded.index.story_of.items():
        if aid in before and before[aid] != sid:
            reason = "merged" if before[aid] in merged else "moved"
            memberships.append(articles_db.Membership(int(aid), sid, reason, None, None))
    articles_db.set_memberships(conn, memberships, run_id, now)
    articles_db.mark_merged(conn, merged, now)
    articles_db.refresh_stories(conn, touched)
    old_ids = set(loaded.loaded_story_ids)
    report.new_stories = len(touched - old_ids)
    report.grown_stories = len({a.story_id for a in assignments if a.story_id in old_ids})


def _search_terms(f: Fingerprinted) -> dict[str, int]:
    from mediawatch.search import index_terms

    return dict(index_terms(f.article.title, f.article.text)[0])


def _revise(
    conn,
    pairs: list[tuple[articles_db.Known, Fingerprinted]],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
    now: datetime,
) -> None:
    """Known articles that came back: a new revision when the text or title changed.

    The stored text lost the site's boilerplate lines; the new one loses them too
    before the comparison, or every refetch would look like a revision. A revised
    article is fingerprinted again (its LSH bands and terms replaced) and re-verified
    against its duplicate group (``mediawatch.match.revise``); it keeps its story.
    """
    fs = [f for _, f in pairs]
    if settings.extract.site_boilerplate_min_pages > 0:
        fs = _strip_site_boilerplate(conn, fs, settings.extract.site_boilerplate_min_pages)
    changed: list[int] = []
    for (k, _), f in zip(pairs, fs, strict=True):
        raw = raw_hashes.get(f.article.original_url)
        if k.text_hash == f.text_hash and k.title == f.article.title:
            report.already_known += 1
            if raw and raw != k.raw_hash:
                articles_db.touch_raw_hash(conn, k.article_id, raw)
            continue
        articles_db.revise(
            conn, k.article_id, f.article.title, f.article.text, f.text_hash, raw or "", run_id, now
        )
        report.revisions += 1
        report.revised_article_ids.append(k.article_id)
        changed.append(k.article_id)
        if k.text_hash != f.text_hash:
            dedup_db.replace_bands(conn, k.article_id, f.band_keys)
            stories_db.replace_terms(conn, k.article_id, f.terms)
            group = dedup_db.group_texts(conn, k.article_id)
            if group is not None:
                change = reverify(group, k.article_id, dedup_db.furniture(conn))
                dedup_db.apply_change(conn, change, run_id, now)
    if changed:
        articles_db.refresh_stories(conn, articles_db.story_of(conn, changed).values())


def _strip_site_boilerplate(conn, fs: list[Fingerprinted], min_pages: int) -> list[Fingerprinted]:
    """Drop the lines known as this host's boilerplate, without counting the page again."""
    boilerplate = SiteBoilerplate(min_pages=min_pages)
    wanted = [
        (host, line_hash(line))
        for f in fs
        if (host := host_of(f.article.url))
        for line in f.article.text.split("\n")
    ]
    boilerplate.load_rows(sites_db.line_counts(conn, wanted))
    out, changed = list(fs), []
    for i, f in enumerate(fs):
        host = host_of(f.article.url)
        lines = f.article.text.split("\n")
        kept = boilerplate.filter(host, lines) if host else lines
        if kept and len(kept) < len(lines):
            out[i] = replace(f, article=replace(f.article, text="\n".join(kept)))
            changed.append(i)
    if changed:
        for i, f in zip(changed, fingerprint_batch([out[i].article for i in changed]), strict=True):
            out[i] = f
    return out


def _drop_site_boilerplate(conn, fresh: list[Fingerprinted], min_pages: int) -> list[Fingerprinted]:
    """Drop lines this host has shown on ``min_pages`` pages: the archive knows its chrome.

    Counts persist in ``site_lines``; an article whose text changes is fingerprinted
    again (a few milliseconds).
    """
    boilerplate = SiteBoilerplate(min_pages=min_pages)
    wanted = [
        (host, line_hash(line))
        for f in fresh
        if (host := host_of(f.article.url))
        for line in f.article.text.split("\n")
    ]
    boilerplate.load_rows(sites_db.line_counts(conn, wanted))
    out: list[Fingerprinted] = []
    changed: list[int] = []
    for f in fresh:
        host = host_of(f.article.url)
        if not host:
            out.append(f)
            continue
        lines = f.article.text.split("\n")
        boilerplate.observe(host, lines)
        kept = boilerplate.filter(host, lines)
        if kept and len(kept) < len(lines):
            changed.append(len(out))
            f = replace(f, article=replace(f.article, text="\n".join(kept)))
        out.append(f)
    if changed:
        again = fingerprint_batch([out[i].article for i in changed])
        for i, f in zip(changed, again, strict=True):
            out[i] = f
    hosts = {h for h, _ in wanted}
    sites_db.save(conn, [r for r in boilerplate.rows() if r[0] in hosts])
    return out


# --- feeds ------------------------------------------------------------------------------


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


def is_web_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


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
        with _writer(settings) as conn:  # a writer: an older database is migrated first
            states = feeds_db.states(conn, [s.url for s in out])
        now = _now()
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
        with _reader(settings) as conn:
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
    with _reader(settings) as conn:
        items = {
            k: poll.KnownItem(s.article_id, s.item_hash)
            for k, s in feeds_db.item_states(conn, keys).items()
        }
        articles = {k: poll.KnownArticle(*v) for k, v in articles_db.fetched(conn, links).items()}
    return poll.plan(polls, items, articles)


def fetch_feed_pages(session: FetchSession, work: list[poll.WorkItem]) -> list[poll.PageOutcome]:
    return session.run(poll.fetch_pages(session.fetcher, work, _now()))


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


def _save_items(
    conn, items: list[ItemUpdate], failures: list[Failure], report: BatchReport
) -> None:
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
    feeds_db.save_items(conn, rows, _now())


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
    now = _now()
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
    with _writer(settings) as conn, transaction(conn):
        feeds_db.save_polls(conn, records)
        runs_db.record_failures(conn, run_id, failures)
    return failures
