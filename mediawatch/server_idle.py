"""The watchdog of a background Prefect server: it stops the server once no run has
used it for ``idle_minutes`` (the server's state file says how long; 0 there: kept).

`python -m mediawatch.server_idle HOME -- prefect server start ...` runs the server as
its child, in the process group this watchdog leads (`mediawatch server stop` ends the
group). A run that reports to the server holds a shared lock on
``HOME/mediawatch-server.users`` while it runs and touches the file when it starts
(``mediawatch.background``); the watchdog checks every few seconds: while the lock is
held it touches the file too; once it gets the lock exclusively and the file is older
than the idle time, it removes the state file (new runs then start a server of their
own), stops the server and exits. Runs that come meanwhile wait for the lock. The
watchdog exits as well when the server ends some other way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mediawatch.service import STATE_FILE, USERS_FILE, read_state


def _group_members(pgid: int, but: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[-1].split()
            pid = int(stat.parent.name)
            if int(fields[2]) == pgid and pid != but and fields[0] != "Z":
                out.append(pid)
    return out


def _stop_group(server: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM to the server and everything it started (this group, not this process),
    SIGKILL to what is left after ``grace`` seconds."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    me, group = os.getpid(), os.getpgid(0)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        server.poll()
        if not _group_members(group, me):
            return
        time.sleep(0.2)
    for pid in _group_members(group, me):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    server.poll()


def _idle_minutes(home: Path, pid: int) -> float | None:
    """The idle time the state file gives this server (0: kept); None: not ours any more."""
    state = read_state(home)
    if state is None or state.pid != pid:
        return None
    return state.idle_minutes


def watch(home: Path, command: list[str], every: float | None = None) -> int:
    me = os.getpid()
    users = home / USERS_FILE
    users.touch()
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    fd = os.open(users, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + 60.0  # the starting run writes the state file next
    while _idle_minutes(home, me) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    while server.poll() is None:
        minutes = _idle_minutes(home, me)
        if minutes is None:  # the state file is gone or names another server
            _stop_group(server)
            return 0
        step = every or min(10.0, max(0.5, minutes * 60 / 6)) if minutes else 5.0
        time.sleep(step)
        if not minutes:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a run is using the server
            with contextlib.suppress(OSError):
                os.utime(users)
            continue
        try:
            idle = time.time() - users.stat().st_mtime
            if idle >= minutes * 60 and _idle_minutes(home, me):
                state_path = home / STATE_FILE
                if (s := read_state(home)) is not None and s.pid == me:
                    state_path.unlink(missing_ok=True)
                print(f"mediawatch: no run for {idle / 60:.1f} minutes: stopping", flush=True)
                _stop_group(server)
                return 0
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    # the server ended by itself: the state file no longer points at a server
    if (s := read_state(home)) is not None and s.pid == me:
        (home / STATE_FILE).unlink(missing_ok=True)
    return server.returncode or 0


def main(argv: list[str]) -> int:
    home, sep, *command = argv
    if sep != "--" or not command:
        print("usage: python -m mediawatch.server_idle HOME -- COMMAND ...", file=sys.stderr)
        return 2
    return watch(Path(home), command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
