"""The ingest flow: sources -> extract -> fingerprint -> match, cluster and store.

Work goes through in batches (``run.batch_size``): each batch is one task per
stage (a task per article would cost more in overhead than the work itself), and
each batch is stored in one transaction. Extraction and fingerprinting run in worker
processes (one per core, ``run.workers``) and are pipelined: while the main process
stores batch N, the workers extract batch N+1. With Prefect's Dask task runner
(``run.dask_address``, the `scale` extra) a batch goes out as chunk tasks that the
Dask scheduler spreads over its workers, on this machine or others; storing stays
here, in the one process that writes the DuckDB file. A one-shot run with no Prefect
server to report to waits some seconds for the temporary one the command line launches:
meanwhile ``run_ingest`` starts the first batch of local documents in the worker
processes, which the flow then finds under way.

Feeds and sitemaps (URL sources, or every configured feed) add three stages in
front: poll the feeds, plan which items need their page (known, unchanged items do
not), fetch those pages; then the same extract -> fingerprint -> store. One
FetchSession serves the whole run (robots.txt, host delays, connections); the
database writer is never held while the network is used.

Each run reports its progress (``mediawatch.progress``: items expected and done,
for the command line to draw), checks every watchlist against what is stored and
delivers the hits (``mediawatch.watch``), and ends by publishing a Markdown artifact of
what changed (new and grown stories, the largest duplicate groups touched, watchlist
hits, failures).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.logging import get_logger
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

import flows  # noqa: F401  (sets Prefect's environment before Prefect loads)
from mediawatch import interrupt, pipeline, prepare, progress
from mediawatch.config import FeedSource, Settings, load_settings
from mediawatch.ingest.fetch import FetchSession
from mediawatch.ingest.local import count_items
from mediawatch.ingest.poll import FeedPoll, PageOutcome, Plan, WorkItem
from mediawatch.prepare import Prepared, chunks, prepare_batch, prepare_chunk
from mediawatch.records import Failure, Fingerprinted, RawDocument
from mediawatch.report import run_markdown
from mediawatch.watch.run import WatchReport, watch_step

if TYPE_CHECKING:
    from storage.runs import RunChanges


@task(name="extract-fingerprint", cache_policy=NO_CACHE)
def prepare_task(
    docs: list[RawDocument], settings: Settings, in_process: bool = False
) -> list[Prepared]:
    """Extract and fingerprint documents: in this machine's worker processes, or (on a Dask
    worker, ``in_process``) in the process that runs the task."""
    if in_process:
        return prepare_chunk(docs, settings.extract)
    return prepare_batch(
        docs, settings.extract, workers=settings.worker_count, chunk_size=settings.run.chunk_size
    )


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


@task(name="watchlists", cache_policy=NO_CACHE)
def watch_task(run_id: int, settings: Settings, revised: list[int]) -> WatchReport:
    """Check every watchlist against what is stored, store and deliver the hits; never
    fails the run (mediawatch.watch.run)."""
    return watch_step(settings, run_id, revised)


PIPELINE_AHEAD = 2  # batches extracted ahead of the one being stored


@dataclass
class _Started:
    """A batch whose extraction runs (in worker processes or on Dask) while the flow goes on."""

    futures: list[PrefectFuture]
    failures: list[Failure]
    known: int
    read: int
    items: list[pipeline.ItemUpdate] | None = None


def _on_dask() -> bool:
    ctx = FlowRunContext.get()
    return ctx is not None and type(ctx.task_runner).__name__ == "DaskTaskRunner"


def _start(
    docs: list[RawDocument],
    failures: list[Failure],
    settings: Settings,
    items: list[pipeline.ItemUpdate] | None = None,
) -> _Started:
    """skip-known, then start extract-fingerprint for one batch and return at once."""
    read = len(docs) + len(failures)
    docs, known = skip_known_task(quote(docs), settings)
    if _on_dask():  # chunks as tasks: the Dask scheduler spreads them over its workers
        size = settings.run.chunk_size
        # no quote() here: Dask reads a tuple in a task's arguments as a task of its own
        futures = [prepare_task.submit(c, settings, in_process=True) for c in chunks(docs, size)]
    else:  # one task: it feeds this machine's worker processes
        futures = [prepare_task.submit(quote(docs), settings)] if docs else []
    return _Started(futures, failures, known, read, items)


def _finish(started: _Started, run_id: int, settings: Settings) -> pipeline.BatchReport:
    """Wait for a started batch's extraction, then match, cluster and store it."""
    prepared = [p for f in started.futures for p in f.result()]
    batch = [p for p in prepared if isinstance(p, Fingerprinted)]
    failures = started.failures + [p for p in prepared if isinstance(p, Failure)]
    raw = {f.article.original_url: f.raw_hash for f in batch}
    # quote: Prefect would otherwise walk (and rebuild) every article's term dictionaries to
    # look for futures in the parameters, seconds per batch in the process that stores
    return store_task(
        quote(batch), quote(failures), run_id, settings, quote(raw), quote(started.items)
    )


def _pipelined(
    batches: Iterable[tuple[list[RawDocument], list[Failure], list[pipeline.ItemUpdate] | None]],
    run_id: int,
    settings: Settings,
) -> Iterator[tuple[_Started, pipeline.BatchReport]]:
    """Store batch N while the workers extract the next ones: the main process's matching,
    clustering and writing overlap the extraction instead of leaving the workers idle.
    Up to ``PIPELINE_AHEAD`` batches are started ahead, so the workers never wait for a
    store to finish before they get more pages."""
    started: deque[_Started] = deque()
    for docs, failures, items in batches:
        started.append(_start(docs, failures, settings, items))
        if len(started) > PIPELINE_AHEAD:
            first = started.popleft()
            yield first, _finish(first, run_id, settings)
    while started:
        first = started.popleft()
        yield first, _finish(first, run_id, settings)


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
        sizes: deque[int] = deque()  # items per chunk, reported done once stored

        def fetched():
            nonlocal pending
            for chunk in plan.chunks(settings.run.batch_size):
                sizes.append(len(chunk))
                pages = pipeline.page_batch(chunk, fetch_pages_task(session, chunk))
                summary.pages_fetched += len(pages.docs)
                pending |= pages.pending
                yield pages.docs, pages.failures, pages.items

        for started, report in _pipelined(fetched(), run_id, settings):
            for url, n in report.feed_new.items():
                new[url] = new.get(url, 0) + n
            summary.add(report, documents=0, already_known=started.known)
            progress.advance(sizes.popleft())
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
    read_at: datetime | None = None,
) -> pipeline.RunSummary:
    """Ingest local sources (files, folders, JSONL, CSV) and feeds or sitemaps (URLs;
    ``feeds``: every configured feed, ``due_only``: those whose poll interval passed).
    ``read_at``: the fetch time of the local items (default: when the flow reads them)."""
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
    interrupt.reclaim()  # Ctrl-C and SIGTERM of a one-shot command: the command's way
    summary: pipeline.RunSummary | None = None
    try:
        with interrupt.shielded():  # a run recorded is a run that records how it ended
            run_id = pipeline.start_run(
                settings, recorded, kind, flow_run_id=str(flow_run.id or "")
            )
            summary = pipeline.RunSummary(run_id=run_id, db=str(settings.db_path))
        if local and progress.active():
            progress.expect(count_items(local, settings.ingest))
        local_batches = ((d, f, None) for d, f in pipeline.batches(local, settings, read_at))
        for started, report in _pipelined(local_batches, run_id, settings):
            summary.add(report, documents=started.read, already_known=started.known)
            progress.advance(started.read)
        if feed_list:
            _poll(feed_list, run_id, settings, summary)
        summary.watch = watch_task(run_id, settings, quote(summary.revised_article_ids))
        summary.failures.extend(summary.watch.failures)
    except BaseException as exc:
        if summary is None:
            raise
        pipeline.ended_by_signal(settings, summary, exc, None)
        if not interrupt.requested():
            publish_summary(settings, summary, wait=5.0)  # briefly: the run is failing
        raise
    with interrupt.shielded():
        changes = pipeline.finish_run(settings, summary, read_changes=True)
    publish_summary(settings, summary, changes=changes)
    return summary


def publish_summary(
    settings: Settings,
    summary: pipeline.RunSummary,
    wait: float | None = None,
    changes: RunChanges | None = None,
) -> None:
    """The run's Markdown artifact in the Prefect UI (``changes``: read already, else
    read here). A summary that cannot be published is logged, never a reason for the
    run to fail."""
    try:
        if changes is None:
            changes = pipeline.run_changes(settings, summary.run_id, wait)
        create_markdown_artifact(
            markdown=run_markdown(changes, summary.counts(), summary.watch),
            key="mediawatch-run-summary",
            description=(
                f"Run {summary.run_id}: {summary.new_articles} new articles, "
                f"{changes.n_new_stories} new and {changes.n_grown_stories} grown stories, "
                f"{changes.n_failures} failures"
            ),
        )
    except Exception as exc:  # the summary is a courtesy; the run's data is stored
        get_run_logger().warning("could not publish the run summary: %s", exc)


def run_ingest(
    sources: list[str],
    db: str | None = None,
    config: str | None = None,
    server_ready: Callable[[], None] | None = None,
    first_batch: list[RawDocument] | None = None,
    **options,
) -> pipeline.RunSummary:
    """The ingest flow on the task runner the settings ask for: this machine's worker
    processes, or a Dask cluster (``run.dask_address``, or ``dask_address=``).
    ``server_ready`` waits for a Prefect server that is still starting (the command
    line's temporary one); the first batch is extracted meanwhile. ``first_batch``: the
    documents of that batch that are not stored unchanged, as the caller read them
    already (with ``read_at``), started in the workers at once whether or not a server
    is starting (emptied here)."""
    address = options.pop("dask_address", None)
    if address is None:
        address = load_settings(config, db=db).run.dask_address
    run = ingest_flow
    if address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise RuntimeError(
                "run.dask_address needs Prefect's Dask task runner: "
                "pip install 'mediawatch[scale]' (prefect-dask, dask[distributed])"
            ) from None
        run = ingest_flow.with_options(task_runner=DaskTaskRunner(address=address))
        if server_ready is not None:
            server_ready()
    else:
        # one fetch time for the run's local items, whether read ahead or by the flow
        options.setdefault("read_at", datetime.now(UTC).replace(tzinfo=None))
        settings = load_settings(config, db=db)
        _head_start(sources, settings, options["read_at"], server_ready, first_batch)
    try:
        with _no_heartbeats():
            return run(sources=sources, db=db, config=config, **options)
    finally:
        prepare.drop_ahead()


@contextlib.contextmanager
def _no_heartbeats() -> Iterator[None]:
    """A one-shot command's flow run sends no heartbeats unless the user set their
    frequency: they are for runs that a worker or `serve` watches (Prefect's crashed-run
    detection), and stopping their thread at the end of a run waits for its one-second
    sleep, up to a second of every run's wall time. The command records how its run
    ended itself (the runs table), a killed one as crashed by the next run."""
    names = ("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "PREFECT_RUNNER_HEARTBEAT_FREQUENCY")
    if any(os.environ.get(n) for n in names):
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _head_start(
    sources: list[str],
    settings: Settings,
    read_at: datetime,
    server_ready: Callable[[], None] | None,
    first_batch: list[RawDocument] | None = None,
) -> None:
    """While the caller's Prefect server boots (``server_ready`` waits for it: the command
    line's temporary server), or while the flow run is created (``first_batch``: read
    already), the first batch of local documents already goes to the worker processes;
    the flow then finds it under way (mediawatch.prepare.start_ahead). Nothing is stored
    before the flow runs."""
    ready = server_ready or (lambda: None)
    if server_ready is None and not first_batch:
        return  # a server answers already, or Prefect starts its own when the flow runs
    local = [s for s in sources if not pipeline.is_web_url(s)]
    if not local or settings.worker_count <= 1:
        ready()
        return
    logger = get_logger("mediawatch")
    try:
        if first_batch is not None:  # read and checked against the database already
            docs, _ = list(first_batch), first_batch.clear()
        else:
            docs, _ = next(pipeline.batches(local, settings, read_at), ([], []))
            docs, _ = pipeline.skip_known(docs, settings)
        n = prepare.start_ahead(
            docs, settings.extract, settings.worker_count, settings.run.chunk_size
        )
        if n:
            logger.info(
                "Extracting the first %d documents (%d chunks) while the %s starts",
                len(docs),
                n,
                "flow run" if server_ready is None else "server",
            )
    except Exception as exc:  # a head start only: the flow reads, records and reports
        logger.info("No head start (%s: %s)", type(exc).__name__, exc)
    finally:
        ready()
