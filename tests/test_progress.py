"""Progress of long runs: a live line (items done of total, rate) on a terminal, plain
and sparse in logs and CI; reported through the pipeline, drawn by the command line."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from mediawatch import progress, render

from .conftest import ROOT, PrefectServer
from .corpus import articles, write_jsonl
from .terminal import in_terminal


def test_events_carry_done_total_and_rate() -> None:
    events: list[progress.ProgressEvent] = []
    assert not progress.active()
    progress.advance(5)  # nobody listens: nothing happens
    with progress.listen(events.append):
        assert progress.active()
        progress.expect(10)
        progress.advance(4)
        progress.expect(5)  # feeds add items once they are read
        progress.advance(11)
    assert not progress.active()
    assert [(e.done, e.total) for e in events] == [(0, 10), (4, 10), (4, 15), (15, 15), (15, 15)]
    assert events[-1].finished and events[-1].rate > 0


def test_a_terminal_gets_a_live_line() -> None:
    out = io.StringIO()
    listener = render.progress_listener(Console(file=out, force_terminal=True, width=100))
    with progress.listen(listener):
        progress.expect(250)
        progress.advance(100)
        progress.advance(150)
    text = out.getvalue()
    assert "250/250" in text and "items" in text and "/s" in text
    assert "\x1b[" in text  # drawn in place


def test_logs_get_plain_lines_now_and_then() -> None:
    out = io.StringIO()
    listener = render.progress_listener(Console(file=out, force_terminal=False), plain_every=0.0)
    with progress.listen(listener):
        progress.expect(200)
        progress.advance(50)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("mediawatch: 50 of 200 items (25%), ")
    assert "items/s" in lines[-1] and "\x1b" not in out.getvalue()
    quiet = io.StringIO()  # the default: a line at most every 30 seconds
    with progress.listen(render.progress_listener(Console(file=quiet, force_terminal=False))):
        progress.expect(200)
        progress.advance(200)
    assert quiet.getvalue() == ""


def test_the_command_line_shows_progress_on_a_terminal_only(
    prefect_server: PrefectServer, tmp_path: Path
) -> None:
    corpus = write_jsonl(tmp_path / "small.jsonl", articles(n_events=10))
    env = {**prefect_server.env, "TERM": "xterm-256color", "COLUMNS": "250"}
    env["MEDIAWATCH_RUN_BATCH_SIZE"] = "10"
    command = [sys.executable, "-m", "mediawatch.cli", "ingest", str(corpus)]

    # On a terminal (a pseudo-terminal here): the live line, with the count and rate.
    tty_args = ["ingest", str(corpus), "--db", str(tmp_path / "tty.duckdb")]
    shown = in_terminal(tty_args, env=env).decode(errors="replace")
    assert "50/50" in shown and "/s" in shown and "50 new articles" in shown

    # In a log: the summary only (a short run prints no progress line), no escapes.
    logged = subprocess.run(
        [*command, "--db", str(tmp_path / "log.duckdb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert logged.returncode == 0, logged.stderr
    assert "50 new articles" in logged.stdout
    assert "\x1b[" not in logged.stdout + logged.stderr and "50/50" not in logged.stderr
