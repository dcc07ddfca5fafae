"""A run that finds nothing new answers at once: no Prefect, no worker processes.

Every local item is read and compared with what is stored (url and the hash of its
content, ``mediawatch.pipeline.known``: the rule the flow's skip-known stage applies).
When all of them are stored unchanged, or gave no article before from the same content
under the same extraction settings (``rejected_items``: recorded as failures again, with
the reason they had), the run is recorded as the flow would record it
(the runs table: sources, counts, the items that could not be read, the watchlists'
step) and its summary printed, without importing Prefect or starting its server and the
extraction workers, which cost seconds whatever a run does. As soon as one item is new
or changed, the caller runs the flow, which reads the sources again.

A run with URLs or feeds always runs the flow: a feed's news is known only once it has
been polled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mediawatch import interrupt
from mediawatch.config import Settings
from mediawatch.pipeline import runs
from mediawatch.pipeline.db import open_writer
from mediawatch.pipeline.known import check
from mediawatch.pipeline.sources import batches, keep
from mediawatch.pipeline.summary import RunSummary
from mediawatch.records import Failure, RawDocument
from storage import runs as runs_db
from storage.connection import transaction


def all_stored(
    sources: list[str],
    settings: Settings,
    read_at: datetime | None = None,
    first_batch: list[RawDocument] | None = None,
    first_read: Callable[[RawDocument], None] | None = None,
) -> tuple[int, list[Failure], list[Failure]] | None:
    """(documents, failures of reading, rejected again) when every document of the local
    ``sources`` is stored unchanged, or was rejected before with the same content under
    the same extraction settings; None as soon as one is not (or there is no database).
    ``read_at``: the documents' fetch time; ``first_batch`` gets the documents of the
    first batch that are not stored unchanged: what the flow's first batch will extract
    (mediawatch.prepare.start_ahead can start them); ``first_read`` is given each document
    of the first batch as it is read (``mediawatch.pipeline.sources.batches``)."""
    if not sources or not settings.db_path.exists():
        return None
    failures: list[Failure] = []
    rejected: list[Failure] = []
    documents = 0
    reading = batches(sources, settings, read_at, first_read)
    for n, (docs, failed) in enumerate(reading):
        failures += failed
        found = check(docs, settings)
        if n == 0 and first_batch is not None:
            first_batch.extend(found.todo or [])
        if found.fresh:
            if n == 0 and read_at is not None:  # the flow takes up the reading from here
                keep(sources, settings, read_at, (docs, failed), reading)
            return None
        documents += len(docs)
        rejected += found.rejected
    return documents, failures, rejected


def run_if_nothing_new(
    sources: list[str],
    settings: Settings,
    kind: str,
    feeds: bool = False,
    read_at: datetime | None = None,
    first_batch: list[RawDocument] | None = None,
    first_read: Callable[[RawDocument], None] | None = None,
) -> RunSummary | None:
    """Record and return the run when the sources hold nothing new; None: run the flow
    (``read_at``, ``first_batch``, ``first_read``: as for ``all_stored``)."""
    if feeds or any(s.startswith(("http://", "https://")) for s in sources):
        return None
    found = all_stored(sources, settings, read_at, first_batch, first_read)
    if found is None:
        return None
    documents, failures, rejected = found
    from mediawatch.watch.run import watch_step

    summary: RunSummary | None = None
    try:
        with interrupt.shielded():  # a run recorded is a run that records how it ended
            run_id = runs.start_run(settings, sources, kind)
            summary = RunSummary(run_id=run_id, db=str(settings.db_path))
        summary.documents = documents + len(failures)
        summary.already_known = documents - len(rejected)
        summary.failures = failures + rejected  # as the flow would record them
        if summary.failures:
            with open_writer(settings) as conn, transaction(conn):
                runs_db.record_failures(conn, run_id, summary.failures)
        summary.watch = watch_step(settings, run_id, [])
        summary.failures.extend(summary.watch.failures)
    except BaseException as exc:
        if summary is None:
            raise
        runs.ended_by_signal(settings, summary, exc, None)
        raise
    with interrupt.shielded():
        runs.finish_run(settings, summary)
    return summary
