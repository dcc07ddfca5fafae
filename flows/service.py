"""What `mediawatch serve` serves: one deployment of the ingest flow per schedule in the
settings ([[service.schedules]]: an interval or a cron expression each), and the
nightly vacuum when retention.prune_text_after_days is set.

Prefect's ``serve`` runs them: it registers the deployments with the Prefect server
(PREFECT_API_URL), and starts each scheduled flow run in a subprocess of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect.exceptions import TerminationSignal
from prefect.runner import Runner
from prefect.schedules import Cron, Interval

import flows  # noqa: F401  (sets Prefect's environment before Prefect loads)
from flows.ingest import ingest_flow
from flows.vacuum import vacuum_flow
from mediawatch import interrupt
from mediawatch.config import ConfigError, Settings
from mediawatch.service import schedule_parameters

FIRST_RUN_SECONDS = 15  # an interval schedule's first run, after `mediawatch serve` starts


def deployments(settings: Settings, config: str | None = None, names: list[str] | None = None):
    """The deployments of the named schedules (all when ``names`` is empty)."""
    config = str(Path(config).absolute()) if config else None
    schedules = list(settings.service.schedules)
    if names:
        unknown = set(names) - {s.name for s in schedules}
        if unknown:
            raise ConfigError(f"no schedule named {', '.join(sorted(unknown))} in the settings")
        schedules = [s for s in schedules if s.name in names]
    out = []
    now = datetime.now(UTC)
    for s in schedules:
        if s.interval_minutes > 0:
            # Anchored so that the first run starts a few seconds from now, then every
            # interval (Prefect's default anchor puts the first run an interval away).
            every = timedelta(minutes=s.interval_minutes)
            timing = Interval(every, anchor_date=now - every + timedelta(seconds=FIRST_RUN_SECONDS))
            when = f"every {s.interval_minutes:g} minutes"
        else:
            timing, when = Cron(s.cron), s.cron
        out.append(
            ingest_flow.to_deployment(
                name=s.name,
                parameters=schedule_parameters(s, settings, config),
                description=f"mediawatch schedule {s.name!r}: {when}",
                tags=["mediawatch"],
                schedule=timing,
            )
        )
    r = settings.retention
    if not names and r.prune_text_after_days > 0 and r.vacuum_cron.strip():
        out.append(
            vacuum_flow.to_deployment(
                name="vacuum",
                parameters={"db": str(settings.db_path), "config": config},
                schedule=Cron(r.vacuum_cron),
                description="mediawatch retention: prune old texts, compact the file",
                tags=["mediawatch"],
            )
        )
    return out


class _Runner(Runner):
    """Prefect's runner, which tells the command that a SIGTERM stopped it (its own
    handler takes SIGTERM over while it serves, and then returns as if done)."""

    def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
        interrupt.note(signal.SIGTERM, watchdog=False)
        super().handle_sigterm(*args, **kwargs)


def _stop_gracefully_on_ctrl_c(runner: _Runner) -> None:
    """Ctrl-C stops the runner as SIGTERM does: the flow runs in flight are cancelled
    (each records its run as cancelled) rather than cut off; a second Ctrl-C exits."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_sigint(signum: int, frame: object) -> None:
        if interrupt.requested():
            interrupt.exit_now(signum, "mediawatch: stopped at once (SIGINT again)")
        interrupt.note(signum, watchdog=False)
        runner.handle_sigterm()

    signal.signal(signal.SIGINT, on_sigint)


def _starting_message(served: list) -> None:
    """Prefect's own (what `prefect.serve` prints), when this Prefect has it."""
    try:
        from prefect.flows import _display_serve_start_message
    except ImportError:
        return
    _display_serve_start_message(*served)


def serve_schedules(settings: Settings, config: str | None = None, names=None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); in-flight runs are cancelled then,
    and the next run picks up what they had not stored. Prefect's ``serve``, with a
    runner that reports the signal."""
    runner = _Runner(pause_on_shutdown=True, limit=settings.service.max_runs_at_once)
    served = deployments(settings, config, names)
    for deployment in served:
        runner.add_deployment(deployment)
    _starting_message(served)
    _stop_gracefully_on_ctrl_c(runner)
    os.environ[interrupt.SERVED_RUN] = "1"  # the flow runs it starts leave Ctrl-C to it
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal) as exc:
        signum = interrupt.signal_of(exc)
        if signum is not None:
            interrupt.note(signum, watchdog=False)
