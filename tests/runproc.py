"""Runs of the command line in the background, for the crash and interrupt tests: started,
paused at a known step (mediawatch.pausepoint), signalled or killed, then checked for
processes left behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from storage.connection import reader

from .conftest import ROOT, processes_with_env


def start(
    command: str, args: list[str], env: dict[str, str], log: Path, own_group: bool = False
) -> subprocess.Popen:
    """`mediawatch COMMAND ARGS` in the background, marked so that any process it leaves
    behind can be found; its output goes to a file (a pipe could be held open by such
    a process). ``own_group``: in a process group of its own, as a shell runs a command
    (the terminal's Ctrl-C goes to the whole group: os.killpg)."""
    marked = {**env, "MEDIAWATCH_TEST_RUN": str(log)}
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mediawatch.cli", command, *args],
            cwd=ROOT,
            env=marked,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=own_group,
        )


def wait_for_pause(proc: subprocess.Popen, log: Path, point: str, timeout: float = 180) -> None:
    """Wait until the run stops at its pause point (mediawatch.pausepoint: set with
    MEDIAWATCH_TEST_PAUSE=point in its environment) and says so in its output."""
    name, _, nth = point.partition(":")
    marker = f"mediawatch-test: paused at {name} {nth or 1} "
    deadline = time.monotonic() + timeout
    while marker not in log.read_text(errors="replace"):
        assert proc.poll() is None, f"the run ended before {point}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"the run did not reach {point}:\n{log.read_text()}"
        time.sleep(0.05)


def leftovers(log: Path, wait: float = 30) -> list[str]:
    """Processes of a run still alive after ``wait`` seconds (extraction workers of a
    killed run end once they see their run gone)."""
    deadline = time.monotonic() + wait
    while (left := processes_with_env("MEDIAWATCH_TEST_RUN", str(log))) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    return left


def states(db: Path) -> list[str]:
    with reader(db) as conn:
        return [r[0] for r in conn.execute("SELECT state FROM runs ORDER BY run_id").fetchall()]
