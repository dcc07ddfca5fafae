"""A run's watch step: check every watchlist, store the hits, deliver them.

Three steps, so the database is never held while the network is used: (1) in one
transaction, bring the settings' lists in, check each list and store its new hits with
a pending delivery per channel; (2) send what is due (new hits, and earlier failures
that have tries left); (3) in one transaction, record every outcome. A crash between
(2) and (3) sends those hits again on the next run: receivers see each ``hit_id`` at
least once, and once in every run that does not die half-way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mediawatch.config import Settings, WatchList
from mediawatch.records import Failure
from mediawatch.watch.evaluate import evaluate
from mediawatch.watch.lists import WatchError, spec, sync
from storage import runs as runs_db
from storage import watch as watch_db
from storage.connection import transaction, writer

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def open_writer(settings: Settings):
    return writer(settings.db_path, wait=settings.storage.writer_wait_seconds)


@dataclass
class WatchReport:
    """What the watch step of a run found and sent."""

    hits: list[watch_db.HitRow] = field(default_factory=list)  # found by this run
    delivered: int = 0  # deliveries (a POST or a notification) that went through
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # failed deliveries, unusable lists
    failures: list[Failure] = field(default_factory=list)  # recorded as the run's failures
    watchlists: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "watch_hits": len(self.hits),
            "watch_deliveries": self.delivered,
            "watch_delivery_failures": self.failed,
        }


def run_watchlists(
    settings: Settings,
    run_id: int,
    revised: list[int] | None = None,
    load_block: Callable[[str], object] | None = None,
) -> WatchReport:
    report = WatchReport()
    now = utcnow()
    lists: dict[str, WatchList] = {}
    with open_writer(settings) as conn, transaction(conn):
        rows = sync(conn, settings.watch.lists, now, run_id)
        through = watch_db.max_article_id(conn)
        new_ids: list[int] = []
        for row in rows:
            try:
                wl = spec(row)
                found = evaluate(conn, row, wl, through, revised or [])
            except WatchError as exc:
                report.problems.append(str(exc))
                report.failures.append(Failure(f"watchlist {row.name}", "watch", str(exc)))
                continue
            lists[wl.name] = wl
            channels = [
                c for c, on in (("webhook", wl.webhook), ("prefect", wl.notify_block)) if on
            ]
            new_ids += watch_db.insert_hits(conn, found, {row.watchlist_id: channels}, run_id, now)
        report.watchlists = len(lists)
        report.hits = watch_db.hits_by_id(conn, new_ids)
        runs_db.record_failures(conn, run_id, report.failures)
        due = watch_db.due_deliveries(conn, settings.watch.delivery_attempts)
        hits = {h.hit_id: h for h in watch_db.hits_by_id(conn, [d[0] for d in due])}
    pending = [(hits[h], channel) for h, channel in due if h in hits]
    if not pending:
        return report
    from mediawatch.watch import deliver as delivery  # HTTP: only with hits to send

    outcomes = delivery.deliver(settings, pending, lists, load_block)
    now = utcnow()
    failed = [
        Failure(
            o.target or o.channel,
            "watch",
            f"{o.channel}: {len(o.hit_ids)} hit(s) not delivered: {o.detail}",
            o.target if o.channel == "webhook" else None,
        )
        for o in outcomes
        if not o.delivered
    ]
    with open_writer(settings) as conn, transaction(conn):
        for o in outcomes:
            for hit_id in o.hit_ids:
                watch_db.record_delivery(
                    conn, hit_id, o.channel, o.delivered, o.target, o.detail, now
                )
        runs_db.record_failures(conn, run_id, failed)
    report.failures += failed
    for o in outcomes:
        if o.delivered:
            report.delivered += 1
        else:
            report.failed += 1
            n = len(o.hit_ids)
            report.problems.append(
                f"{o.channel} {o.target or '(none)'}: {n} hit{'s' if n != 1 else ''} not "
                f"delivered: {o.detail}"
            )
    return report


def watch_step(
    settings: Settings,
    run_id: int,
    revised: list[int] | None = None,
    load_block: Callable[[str], object] | None = None,
) -> WatchReport:
    """``run_watchlists`` for the flow: whatever goes wrong is recorded as the run's
    failure (stage ``watch``) and reported; the run's stored data is not at stake."""
    try:
        return run_watchlists(settings, run_id, revised, load_block)
    except Exception as exc:
        reason = f"the watchlists could not be checked: {type(exc).__name__}: {exc}"
        log.warning(reason)
        try:
            with open_writer(settings) as conn, transaction(conn):
                runs_db.record_failures(conn, run_id, [Failure("watchlists", "watch", reason)])
        except Exception as again:
            log.warning("could not record it either: %s", again)
        return WatchReport(problems=[reason], failures=[Failure("watchlists", "watch", reason)])
