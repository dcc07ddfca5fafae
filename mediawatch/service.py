"""Running as a service: the project's Prefect server in the background, and what
`mediawatch serve` schedules.

`mediawatch server start` runs ``prefect server start`` bound to ``service.host``
(127.0.0.1 by default) with the project's Prefect home (``.prefect/``, or
``$PREFECT_HOME``), analytics off, and Prefect's own database kept small by its
vacuum service (see ``flows/__init__.py``). The server runs in its own session,
its output goes to ``<home>/server.log``, and ``<home>/mediawatch-server.json``
says where it is, so ``stop``, ``status`` and ``serve`` find it.

A one-shot run with no server to report to starts the same server in the background
(``start(..., idle_minutes=...)``, ``service.background_idle_minutes``; see
``mediawatch.background``): then a watchdog (``mediawatch.server_idle``) leads the
server's process group and stops it once no run has used it for that long.

Plain functions, no Prefect import: the server is another process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediawatch import interrupt
from mediawatch.config import Schedule, Settings

STATE_FILE = "mediawatch-server.json"
LOG_FILE = "server.log"
USERS_FILE = "mediawatch-server.users"  # runs hold it shared while they use the server
START_LOCK = "mediawatch-server.start.lock"


class ServiceError(RuntimeError):
    """A server that cannot be started, found or stopped; the message says why."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    host: str
    port: int
    home: str
    log: str
    started_at: str
    idle_minutes: float = 0.0  # > 0: started by a run; stops itself after this idle time

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    state: ServerState | None
    healthy: bool
    message: str


def prefect_home() -> Path:
    """The Prefect home of this process (the project's ``.prefect/`` unless set)."""
    import flows  # noqa: F401  (the project's Prefect environment defaults)

    return Path(os.environ["PREFECT_HOME"]).expanduser()


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _state_path(home: Path) -> Path:
    return home / STATE_FILE


def read_state(home: Path | None = None) -> ServerState | None:
    path = _state_path(home or prefect_home())
    try:
        return ServerState(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Does a Prefect API answer its health check at ``url`` (http://host:port)?"""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/health", timeout=timeout) as r:
            return r.status == 200 and r.read().strip() == b"true"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def pid_alive(pid: int) -> bool:
    """Is the process there (and not a zombie waiting to be reaped)?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_prefect_server(pid: int) -> bool:
    """The recorded pid still belongs to a Prefect server (pids are reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the state file
    return any(b"prefect" in part for part in cmdline) and b"server" in cmdline


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the project's Prefect defaults (flows/__init__.py) under
    what the user set; the server never talks to another API."""
    prefect_home()  # sets the defaults in os.environ
    env = dict(os.environ if base is None else base)
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def status(settings: Settings) -> ServerStatus:
    home = prefect_home()
    state = read_state(home)
    if state is None:
        url = f"http://{_url_host(settings.service.host)}:{settings.service.port}"
        if healthy(url):
            return ServerStatus(
                False, None, True, f"a Prefect server not started by mediawatch answers at {url}"
            )
        return ServerStatus(False, None, False, "no Prefect server running (for this home)")
    alive = pid_alive(state.pid) and _is_prefect_server(state.pid)
    ok = alive and healthy(state.url)
    if ok:
        message = f"Prefect server running at {state.url} (pid {state.pid}, log {state.log})"
    elif alive:
        message = f"Prefect server (pid {state.pid}) is not answering at {state.url} yet"
    else:
        message = f"the Prefect server recorded in {_state_path(home)} is gone (pid {state.pid})"
    return ServerStatus(alive, state, ok, message)


def start(
    settings: Settings,
    timeout: float | None = None,
    idle_minutes: float = 0.0,
    wait: bool = True,
) -> ServerState:
    """Start the Prefect server in the background; returns once it answers (``wait``).

    ``idle_minutes`` > 0: a run's background server, which stops itself once no run has
    used it for that long (``mediawatch.server_idle``). Started without it (`mediawatch
    server start`), a server that runs already is kept for good."""
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    with _start_lock(home):
        current = status(settings)
        if current.running and current.state is not None:
            state = current.state
            if state.idle_minutes and not idle_minutes:  # the user's now: no idle stop
                state = replace(state, idle_minutes=0.0)
                _write_state(home, state)
            if wait and not current.healthy and not _wait_healthy(state, 30.0):
                raise ServiceError(current.message)
            return state
        if current.healthy:
            raise ServiceError(current.message + "; stop it or choose another service.port")
        proc, state = _spawn(settings, home, idle_minutes)
    if not wait:
        return state
    deadline = time.monotonic() + (timeout or settings.service.start_timeout_seconds)
    log_path = Path(state.log)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _state_path(home).unlink(missing_ok=True)
            raise ServiceError(
                f"the Prefect server exited ({proc.returncode}) during start:\n" + _tail(log_path)
            )
        if healthy(state.url, timeout=1.0):
            return state
        time.sleep(0.3)
    _terminate(proc.pid, grace=10.0)
    _state_path(home).unlink(missing_ok=True)
    raise ServiceError(f"the Prefect server did not answer at {state.url}:\n" + _tail(log_path))


@contextlib.contextmanager
def _start_lock(home: Path):
    """One start at a time per home: two runs starting at once share one server."""
    import fcntl

    fd = os.open(home / START_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_state(home: Path, state: ServerState) -> None:
    tmp = _state_path(home).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, _state_path(home))


def _spawn(
    settings: Settings, home: Path, idle_minutes: float
) -> tuple[subprocess.Popen, ServerState]:
    """``prefect server start`` in a session of its own (led by the idle watchdog when
    ``idle_minutes`` > 0); its state file written."""
    host, port = settings.service.host, settings.service.port
    log_path = home / LOG_FILE
    command = [*_prefect_command(), "server", "start", "--host", host, "--port", str(port)]
    if idle_minutes > 0:
        command = [sys.executable, "-m", "mediawatch.server_idle", str(home), "--", *command]
    log = log_path.open("ab")
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(),
            cwd=home,
            start_new_session=True,  # its own process group: stop ends all of it
        )
    finally:
        log.close()
    state = ServerState(
        proc.pid,
        host,
        port,
        str(home),
        str(log_path),
        datetime.now(UTC).isoformat(timespec="seconds"),
        idle_minutes,
    )
    _write_state(home, state)
    return proc, state


def _wait_healthy(state: ServerState, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if healthy(state.url, timeout=1.0):
            return True
        time.sleep(0.3)
    return False


def stop(grace: float = 30.0) -> ServerState | None:
    """Stop the server this home started (its whole process group); None if none ran.
    The warm runner that reports to it (mediawatch.runner) stops first."""
    from mediawatch import runner

    home = prefect_home()
    runner.stop(home)
    state = read_state(home)
    if state is None:
        return None
    if pid_alive(state.pid) and _is_prefect_server(state.pid):
        _terminate(state.pid, grace)
    _state_path(home).unlink(missing_ok=True)
    return state


def _terminate(pid: int, grace: float) -> None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid) and not _group_alive(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (pid_alive(pid) or _group_alive(pid)):
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Only zombies left in the group count as gone.
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[-1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def api_url(settings: Settings) -> str:
    """The API `mediawatch serve` registers with: $PREFECT_API_URL, else the server that
    `mediawatch server start` recorded, else service.host and port."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"].rstrip("/")
    state = read_state()
    if state is not None:
        return state.api_url
    return f"http://{_url_host(settings.service.host)}:{settings.service.port}/api"


# --- what `mediawatch serve` runs ------------------------------------------------------


def schedule_parameters(
    schedule: Schedule, settings: Settings, config: str | None = None
) -> dict[str, Any]:
    """The ingest flow's parameters for one schedule: local paths made absolute, named
    feeds looked up in [[feeds.sources]]."""
    from mediawatch.config import ConfigError

    sources: list[str] = []
    for s in schedule.sources:
        sources.append(s if s.startswith(("http://", "https://")) else str(settings.resolve(s)))
    every = any(f.strip().lower() == "all" for f in schedule.feeds)
    if not every:
        by_name = {f.name: f.url for f in settings.feeds.sources if f.name}
        urls = {f.url for f in settings.feeds.sources}
        for name in schedule.feeds:
            if name in by_name:
                url = by_name[name]
            elif name in urls or name.startswith(("http://", "https://")):
                url = name
            else:
                raise ConfigError(f"schedule {schedule.name!r}: no configured feed named {name!r}")
            if url not in sources:
                sources.append(url)
    return {
        "sources": sources,
        "db": str(settings.db_path),
        "config": str(Path(config).absolute()) if config else None,
        "kind": f"scheduled:{schedule.name}",
        "feeds": every,
        "due_only": schedule.due_only,
    }


# --------------------------------------------------------------------------- one-shot runs

_SERVE = """
import sys
from mediawatch.lifeline import exit_with_parent
exit_with_parent(int(sys.argv[1]))
import uvicorn
uvicorn.main(sys.argv[2:])
"""


class TemporaryServer:
    """Prefect's temporary server for one one-shot run, launched before Prefect is imported.

    Prefect starts the same server itself (uvicorn over ``create_app``, no UI) when a flow
    runs with no API to report to, but only after this process has imported Prefect and
    its server module, some 3 s in. Launched first, the server boots while the run imports
    and reads its first batch. It ends with the run: stopped at the end, and a lifeline
    ends it if the run's process is killed.
    """

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = server_env()
        env.update(  # what Prefect sets for its own temporary server
            PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1"
        )
        app = ["--factory", "prefect.server.api.server:create_app", "--lifespan", "on"]
        where = ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error"]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(os.getpid()), *app, *where],
            stdin=subprocess.DEVNULL,
            env=env,
            # Out of the terminal's process group: Ctrl-C goes to the run, which still
            # needs the server to record how it ended, and then stops it.
            start_new_session=True,
        )
        os.environ["PREFECT_API_URL"] = self.url + "/api"  # before Prefect reads its settings
        interrupt.on_exit(lambda: self.stop(grace=2.0))

    def wait(self, timeout: float = 120.0) -> None:
        """Return once the server answers; raise ServiceError if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServiceError(f"Prefect's temporary server exited ({self.proc.returncode})")
            if healthy(self.url, timeout=1.0):
                return
            time.sleep(0.1)
        raise ServiceError(f"Prefect's temporary server did not answer at {self.url}")

    def stop(self, grace: float = 5.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
