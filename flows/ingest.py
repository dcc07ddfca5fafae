"""The ingest flow: sources -> extract -> fingerprint -> match, cluster and store.

Work goes through in batches (``run.batch_size``): each batch is one task per
stage (a task per article would cost more in overhead than the work itself), and
each batch is stored in one transaction.

Feeds and sitemaps (URL sources, or every configured feed) add three stages in
front: poll the feeds, plan which items need their page (known, unchanged items do
not), fetch those pages; then the same extract -> fingerprint -> store. One
FetchSession serves the whole run (robots.txt, host delays, connections); the
database writer is never held while the network is used.

Each run reports its progress (``mediawatch.progress``: items expected and done,
for the command line to draw) and ends by publishing a Markdown artifact of what
changed (new and grown stories, the largest duplicate groups touched, failures).
"""

from __future__ import annotations

import dataclasses

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import flows  # noqa: F401  (sets Prefect's environment before Prefect loads)
from mediawatch import pipeline, progress
from mediawatch.config import FeedSource, Settings, load_settings
from mediawatch.extract import extract_batch
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.ingest.fetch import FetchSession
from mediawatch.ingest.local import count_items
from mediawatch.ingest.poll import FeedPoll, PageOutcome, Plan, WorkItem
from mediawatch.records import Article, Failure, Fingerprinted, RawDocument
from mediawatch.report import run_markdown


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(docs: list[RawDocument], settings: Settings) -> list[Article | Failure]:
    return extract_batch(docs, settings.extract, workers=settings.worker_count)


@task(name="fingerprint", cache_policy=NO_CACHE)
def fingerprint_task(articles: list[Article]) -> list[Fingerprinted]:
    return fingerprint_batch(articles)


@task(name="match-cluster-store", cache_policy=NO_CACHE)
def store_task(
    batch: list[Fingerprinted],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    items: list[pipeline.ItemUpdate] | None = None,
) -> pipeline.BatchReport:
    return pipeline.store_batch(batch, failures, run_id, settings, raw_hashes, items)


@task(name="skip-known", cache_policy=NO_CACHE)
def skip_known_task(docs: list[RawDocument], settings: Settings) -> tuple[list[RawDocument], int]:
    return pipeline.skip_known(docs, settings)


@task(name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds_task(
    session: FetchSession, sources: list[FeedSource], settings: Settings
) -> list[FeedPoll]:
    return pipeline.poll_feeds(session, sources, settings)


@task(name="plan-items", cache_policy=NO_CACHE)
def plan_items_task(polls: list[FeedPoll], settings: Settings) -> Plan:
    return pipeline.plan_feed_items(polls, settings)


@task(name="fetch-pages", cache_policy=NO_CACHE)
def fetch_pages_task(session: FetchSession, work: list[WorkItem]) -> list[PageOutcome]:
    return pipeline.fetch_feed_pages(session, work)


@task(name="record-feeds", cache_policy=NO_CACHE)
def record_feeds_task(
    polls: list[FeedPoll],
    deferred: dict[str, int],
    pending: set[str],
    new: dict[str, int],
    run_id: int,
    settings: Settings,
) -> list[Failure]:
    return pipeline.finish_feeds(polls, deferred, pending, new, run_id, settings)


def _process(
    docs: list[RawDocument],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    items: list[pipeline.ItemUpdate] | None = None,
) -> tuple[pipeline.BatchReport, int]:
    """skip-known -> extract -> fingerprint -> store, for one batch of documents."""
    docs, known = skip_known_task(docs, settings)
    extracted = extract_task(docs, settings)
    articles = [a for a in extracted if isinstance(a, Article)]
    failures = failures + [f for f in extracted if isinstance(f, Failure)]
    batch = fingerprint_task(articles)
    raw = {d.url: pipeline.raw_hash(d) for d in docs}
    return store_task(batch, failures, run_id, settings, raw, items), known


def _poll(
    feeds: list[FeedSource], run_id: int, settings: Settings, summary: pipeline.RunSummary
) -> None:
    """Poll the feeds, fetch the pages their new or changed items need, store them."""
    with FetchSession(settings.feeds) as session:
        polls = poll_feeds_task(session, feeds, settings)
        plan = plan_items_task(polls, settings)
        walked = [p for top in polls for p in top.walk()]
        summary.feeds_polled += len(walked)
        summary.feeds_unchanged += sum(p.status in ("not-modified", "unchanged") for p in walked)
        summary.documents += plan.considered
        summary.already_known += plan.known + plan.linked
        pending: set[str] = set()
        new: dict[str, int] = {}
        progress.expect(len(plan.work))
        for chunk in plan.chunks(settings.run.batch_size):
            outcomes = fetch_pages_task(session, chunk)
            pages = pipeline.page_batch(chunk, outcomes)
            summary.pages_fetched += len(pages.docs)
            pending |= pages.pending
            report, known = _process(pages.docs, pages.failures, run_id, settings, pages.items)
            for url, n in report.feed_new.items():
                new[url] = new.get(url, 0) + n
            summary.add(report, documents=0, already_known=known)
            progress.advance(len(chunk))
        summary.failures.extend(
            record_feeds_task(polls, plan.deferred, pending, new, run_id, settings)
        )
        summary.requests += session.fetcher.requests


@flow(name="mediawatch-ingest", log_prints=False)
def ingest_flow(
    sources: list[str],
    db: str | None = None,
    config: str | None = None,
    kind: str = "ingest",
    feeds: bool = False,
    due_only: bool = False,
    allow_private_hosts: bool | None = None,
) -> pipeline.RunSummary:
    """Ingest local sources (files, folders, JSONL, CSV) and feeds or sitemaps (URLs;
    ``feeds``: every configured feed, ``due_only``: those whose poll interval passed)."""
    settings = load_settings(config, db=db)
    if allow_private_hosts is not None:
        settings = dataclasses.replace(
            settings,
            feeds=dataclasses.replace(settings.feeds, allow_private_hosts=allow_private_hosts),
        )
    local = [s for s in sources if not pipeline.is_web_url(s)]
    urls = [s for s in sources if pipeline.is_web_url(s)]
    feed_list = pipeline.feed_sources(urls, settings, configured=feeds, due_only=due_only)
    recorded = local + [f.url for f in feed_list]
    run_id = pipeline.start_run(settings, recorded, kind, flow_run_id=str(flow_run.id or ""))
    summary = pipeline.RunSummary(run_id=run_id, db=str(settings.db_path))
    try:
        if local and progress.active():
            progress.expect(count_items(local, settings.ingest))
        for docs, failures in pipeline.batches(local, settings):
            read = len(docs) + len(failures)
            batch_report, known = _process(docs, failures, run_id, settings)
            summary.add(batch_report, documents=read, already_known=known)
            progress.advance(read)
        if feed_list:
            _poll(feed_list, run_id, settings, summary)
    except BaseException as exc:
        pipeline.finish_run(settings, summary, error=f"{type(exc).__name__}: {exc}")
        publish_summary(settings, summary, wait=5.0)  # briefly: the run is failing
        raise
    pipeline.finish_run(settings, summary)
    publish_summary(settings, summary)
    return summary


def publish_summary(
    settings: Settings, summary: pipeline.RunSummary, wait: float | None = None
) -> None:
    """The run's Markdown artifact in the Prefect UI. A summary that cannot be
    published is logged, never a reason for the run to fail."""
    try:
        changes = pipeline.run_changes(settings, summary.run_id, wait)
        create_markdown_artifact(
            markdown=run_markdown(changes, summary.counts()),
            key="mediawatch-run-summary",
            description=(
                f"Run {summary.run_id}: {summary.new_articles} new articles, "
                f"{changes.n_new_stories} new and {changes.n_grown_stories} grown stories, "
                f"{changes.n_failures} failures"
            ),
        )
    except Exception as exc:  # the summary is a courtesy; the run's data is stored
        get_run_logger().warning("could not publish the run summary: %s", exc)
