"""Which Prefect server a one-shot run (`mediawatch ingest`, `run`) reports to.

In order: ``$PREFECT_API_URL``; the project's server when it answers (`mediawatch server
start`, or one an earlier run started); else, with ``service.background_idle_minutes``
> 0 (the default, 0 when ``$CI`` is set), that server started now in the background, to
stay for the runs that follow and stop by itself once idle (``mediawatch.server_idle``);
else Prefect's temporary server for this run alone (``mediawatch.service.TemporaryServer``).

Every run that reports to the project's server holds a shared lock on its users file
until it exits, and touches it when it starts: the watchdog never stops a server that a
run is using, and counts the idle time from the last run. All of this happens before
Prefect is imported (it reads ``PREFECT_API_URL`` once).
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mediawatch import service
from mediawatch.config import Settings

log = logging.getLogger(__name__)

_held: list[int] = []  # the users file, held shared until this process exits
_api_url_set_here = False  # PREFECT_API_URL is ours (choose_server), not the user's


def idle_minutes(settings: Settings) -> float:
    """The background server's idle time for this run; 0: no background server."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return 0.0
    return settings.service.background_idle_minutes


def hold(home: Path, wait: float = 60.0) -> None:
    """Tell the watchdog a run is using the server: a shared lock until this process
    exits (the kernel lets go of it however the process ends), and a fresh mtime."""
    if _held:
        return
    home.mkdir(parents=True, exist_ok=True)
    path = home / service.USERS_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait  # a watchdog stopping its server holds it briefly
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return
            time.sleep(0.1)
    os.utime(path)
    _held.append(fd)


def choose_server(settings: Settings) -> Callable[[], None] | None:
    """Set ``PREFECT_API_URL`` for this run; returns what waits for a server still
    starting (the run's head start overlaps it: ``flows.ingest.run_ingest``), or None."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    minutes = idle_minutes(settings)
    home = service.prefect_home()
    if minutes > 0:
        hold(home)
    global _api_url_set_here
    state = service.read_state(home)
    if state is not None and service.healthy(state.url, timeout=1.0):
        os.environ["PREFECT_API_URL"] = state.api_url
        _api_url_set_here = True
        return None
    if minutes > 0:
        try:
            state = service.start(settings, idle_minutes=minutes, wait=False)
        except (service.ServiceError, OSError) as exc:
            log.warning("no background Prefect server (%s): a temporary one for this run", exc)
        else:
            os.environ["PREFECT_API_URL"] = state.api_url
            _api_url_set_here = True
            timeout = settings.service.start_timeout_seconds
            return lambda: _wait_ready(state, timeout)
    return _temporary_server()


def leave_runner(settings: Settings) -> None:
    """After a run in this process: the warm runner for the runs that follow
    (mediawatch.runner), started in the background unless one runs, with the background
    server's idle time; none when that is 0 (CI, tests) or ``service.warm_runner`` is off."""
    from mediawatch import handoff, runner

    minutes = idle_minutes(settings)
    if handoff.disabled or minutes <= 0 or not settings.service.warm_runner:
        return
    env = {k: v for k, v in os.environ.items() if k != "MEDIAWATCH_TEST_PAUSE"}
    if _api_url_set_here:  # the runner finds the server as this run did
        env.pop("PREFECT_API_URL", None)
    try:
        runner.launch(service.prefect_home(), minutes, env)
    except OSError as exc:
        log.warning("no warm runner (%s)", exc)


def _wait_ready(state: service.ServerState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.healthy(state.url, timeout=1.0):
            return
        if not service.pid_alive(state.pid):
            raise service.ServiceError(
                f"the background Prefect server exited during start (log: {state.log})"
            )
        time.sleep(0.1)
    raise service.ServiceError(f"the background Prefect server did not answer at {state.url}")


def _temporary_server() -> Callable[[], None] | None:
    """Prefect's temporary server for this run alone: launched here, before Prefect is
    imported, it boots while the run imports and reads its first batch; stopped at exit,
    after Prefect has sent its last logs and events (atexit runs last what was
    registered first)."""
    if os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").lower() in ("0", "false"):
        return None  # the user wants no temporary server: Prefect says so
    server = service.TemporaryServer()
    atexit.register(server.stop)
    return server.wait
