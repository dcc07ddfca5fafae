"""The warm runner: one process that has Prefect and the pipeline imported, and forks a
process for each `mediawatch ingest` or `run` handed to it (mediawatch.handoff).

A one-shot command pays about 2.5 s before its run starts (importing Prefect, the
pipeline's modules, the text analysis) whatever the run does. The first one-shot run
that reports to a background Prefect server (``service.background_idle_minutes`` > 0;
off in CI and tests) leaves this runner behind: `python -m mediawatch.runner HOME
MINUTES`, in a session of its own, listening on ``HOME/mediawatch-runner.sock``
(permission 0600: this user's runs only). Each run it takes is a fork of it: a process
of its own with the caller's terminal, arguments, working directory and environment,
which runs the command's own code (``mediawatch.cli.main``), reports to the same
Prefect server as a flow run with its artifact, records itself in the database's run
history, and opens the DuckDB file only while it runs. Its extraction workers are
forked from it before Prefect starts any thread, with everything imported
(mediawatch.prepare.fork_workers).

A run is taken only when the caller's environment matches where it counts (what is read
at import: mediawatch.runner_link.env_that_matters, Prefect's settings files in the
working directory), the code and the installed packages are those the runner imported,
and the Prefect server still answers; otherwise the caller runs in-process (and the
runner ends, if its code or server is gone). The runner stops by itself once no run
has come for ``MINUTES``, when its Prefect server is gone, and with `mediawatch server
stop`; runs in flight then get SIGTERM (they record themselves cancelled).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediawatch import runner_link

log = logging.getLogger(__name__)

NOT_STARTED = 111  # a forked run that could not start (the caller runs in-process)
STOP_GRACE = 30.0  # runs in flight, from SIGTERM to SIGKILL, when the runner stops


# --- launching and stopping (from other processes) --------------------------------------


def alive(home: Path) -> bool:
    """Is a runner (starting or listening) holding this home's runner lock?"""
    try:
        fd = os.open(home / runner_link.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing lets go of a lock taken here
    return False


def launch(home: Path, idle_minutes: float, env: dict[str, str]) -> bool:
    """Start a runner for ``home`` in the background unless one runs; True if started."""
    if idle_minutes <= 0 or alive(home):
        return False
    home.mkdir(parents=True, exist_ok=True)
    with (home / runner_link.LOG_FILE).open("ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "mediawatch.runner", str(home), str(idle_minutes)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # not the terminal's: its Ctrl-C is the caller's
        )
    return True


def read_state(home: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((home / runner_link.STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _is_runner(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"mediawatch.runner" in cmdline


def stop(home: Path, grace: float = STOP_GRACE + 10.0) -> int | None:
    """Stop this home's runner (its runs in flight are cancelled); its pid, or None."""
    state = read_state(home)
    pid = state.get("pid") if state else None
    if not isinstance(pid, int) or not _is_runner(pid):
        if state is not None and not alive(home):  # a runner killed: its files stayed
            (home / runner_link.SOCKET_FILE).unlink(missing_ok=True)
            (home / runner_link.STATE_FILE).unlink(missing_ok=True)
        return None
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _is_runner(pid):
        time.sleep(0.1)
    if _is_runner(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return pid


# --- what the runner checks before it takes a run ---------------------------------------


def code_fingerprint() -> str:
    """The source files and the installed packages, as of now (their times and sizes)."""
    h = hashlib.sha256()
    for folder in runner_link.code_dirs():
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".sql"):
                with contextlib.suppress(OSError):
                    st = path.stat()
                    h.update(f"{path}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
    for key in ("purelib", "platlib"):
        with contextlib.suppress(OSError, KeyError):
            h.update(f"{key}\0{os.stat(sysconfig.get_paths()[key]).st_mtime_ns}\n".encode())
    return h.hexdigest()


@dataclass
class Birth:
    """What the runner imported under: compared with each caller."""

    env: dict[str, str]
    files: dict[str, str | None]
    code: str
    api_url: str
    server_pid: int | None  # the project's server it reports to (None: $PREFECT_API_URL)
    home: Path


def _server(home: Path) -> tuple[str, int | None] | None:
    """The API this runner's runs report to, and the project server's pid (if that's it)."""
    from mediawatch import service

    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"], None
    state = service.read_state(home)
    if state is None or not service.healthy(state.url, timeout=2.0):
        return None
    return state.api_url, state.pid


def _server_gone(birth: Birth) -> bool:
    from mediawatch import service

    if birth.server_pid is not None:
        state = service.read_state(birth.home)
        if state is None or state.pid != birth.server_pid:
            return True
    return False


def refusal(birth: Birth, request: dict[str, Any]) -> tuple[str, bool] | None:
    """Why this runner does not take the run (and whether it should end), or None."""
    from mediawatch import service

    if request.get("protocol") != runner_link.PROTOCOL:
        return "another protocol", False
    if request.get("executable") != sys.executable:
        return "another Python", False
    if request.get("code") != [str(d) for d in runner_link.code_dirs()]:
        return "another copy of mediawatch", False
    if code_fingerprint() != birth.code:
        return "the code or the installed packages changed", True
    env = request.get("env")
    if not isinstance(env, dict) or runner_link.env_that_matters(env) != birth.env:
        return "another environment", False
    cwd = request.get("cwd")
    if not isinstance(cwd, str) or runner_link.settings_files(cwd) != birth.files:
        return "other Prefect settings files", False
    if _server_gone(birth) or not service.healthy(birth.api_url.removesuffix("/api"), 2.0):
        return "its Prefect server is gone", True
    return None


# --- the runner ---------------------------------------------------------------------------

# Imported in the runner, so that no run imports them. Modules that make a rich Console
# when imported stay out: a run makes them for its caller's terminal.
_SKIP = (
    "mediawatch.render",
    "mediawatch.watch.render",
    "mediawatch.article_view",
    "mediawatch.article_cli",
    "mediawatch.web",
    "mediawatch.evaluate",
    "mediawatch.runner",
    "mediawatch.server_idle",
    "mediawatch.forkserver_session",
    "flows.service",
)
_PREFECT = (
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.engine",
    "prefect.artifacts",
    "prefect.concurrency.context",
    "prefect.concurrency.v1.context",
    "prefect.telemetry.run_telemetry",
    "prefect.utilities.visualization",
    "fastapi.encoders",  # Prefect serialises a flow run's parameters with it
    "scipy.sparse",
)

_WARM_PAGE = (
    "<html><head><title>Harbour ferry timetable changes</title></head><body><article>"
    "<h1>Harbour ferry timetable changes from Monday</h1>"
    + "<p>The harbour ferry will leave every twenty minutes instead of every half hour "
    "from Monday, the transport office said, after a winter in which the morning boats "
    "were full before the last stop. Two extra crews have been hired.</p>"
    * 4
    + "</article></body></html>"
)


def warm() -> int:
    """Import what a run needs and run the text analysis once; the modules imported."""
    import importlib
    import pkgutil

    import flows
    import mediawatch
    import storage

    names = list(_PREFECT)
    for package in (mediawatch, flows, storage):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    for name in names:
        if name.startswith(_SKIP) or name.endswith("__main__"):
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # a module a run may not need: it imports it then
            log.warning("runner: not imported ahead: %s (%s)", name, exc)
    from mediawatch.config import load_settings
    from mediawatch.extract import extract_document
    from mediawatch.fingerprint import fingerprint_batch
    from mediawatch.records import Article, RawDocument

    doc = RawDocument(
        url="https://warm.invalid/ferry",
        origin="warm-up",
        content=_WARM_PAGE,
        content_type="html",
        fetched_at=datetime(2026, 1, 1),
    )
    with contextlib.suppress(Exception):  # the text analysis's lazy parts, loaded once
        article = extract_document(doc, load_settings().extract)
        if isinstance(article, Article):
            fingerprint_batch([article])
    _warm_languages()
    return len(sys.modules)


# Words of the scripts that are segmented by a dictionary or ICU, and one letter of every
# 256-character Unicode block below the surrogates (anyascii reads a table per block).
_UNSPACED = {"zh": "北京天气", "ja": "東京の天気", "th": "กรุงเทพมหานคร", "km": "ភ្នំពេញ"}
_BLOCKS = "".join(chr(b << 8 | 0x80) for b in range(1, 0xD8))


def _warm_languages() -> None:
    """What the text analysis loads per language on first use, loaded for every language
    it has data for: CLDR place names (Babel, 30-60 ms a language), stopword lists, Snowball
    stemmers, the Chinese dictionary and ICU's word breakers, the transliteration tables,
    the notice and disclaimer patterns (10 ms each).
    Without it each run's main process and each of its workers loads what its pages need,
    a few tenths of a second of CPU per process on a mix of languages. Only caches are
    filled: the results are those of a cold process."""
    from mediawatch.text import stem, stopwords, tokens
    from mediawatch.text.language import _SCRIPT_LANGUAGE
    from mediawatch.text.lexicon import SNOWBALL
    from mediawatch.text.names import name_key
    from mediawatch.text.notices import KINDS, families
    from mediawatch.text.places import gazetteer

    for language in sorted(set(SNOWBALL) | set(_SCRIPT_LANGUAGE.values())):
        with contextlib.suppress(Exception):
            gazetteer(language)
            stopwords(language)
            stem("warm", language)
    with contextlib.suppress(Exception):
        for language, word in _UNSPACED.items():
            tokens(word, language)
        name_key(_BLOCKS, None)
        for kind in KINDS:
            families("", kind)


@dataclass
class _Run:
    pid: int
    pidfd: int
    conn: socket.socket
    caller_gone: bool = False
    started: float = field(default_factory=time.monotonic)


class Runner:
    def __init__(self, home: Path, idle_minutes: float, birth: Birth, listener: socket.socket):
        self.home = home
        self.idle = idle_minutes * 60
        self.birth = birth
        self.listener = listener
        self.runs: dict[int, _Run] = {}  # by pidfd
        self.last = time.monotonic()
        self.stopping = False
        self.wake_r, self.wake_w = socket.socketpair()
        self.keep: list[int] = []  # descriptors a forked run closes first

    def loop(self) -> None:
        self.wake_w.setblocking(False)
        signal.set_wakeup_fd(self.wake_w.fileno(), warn_on_full_buffer=False)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: None)
        while True:
            if not self.runs and (self.stopping or self._idle_over() or self._server_gone()):
                return
            watched: list[Any] = [self.wake_r, *self.runs]
            watched += [r.conn for r in self.runs.values() if not r.caller_gone]
            if not self.stopping:
                watched.append(self.listener)
            ready, _, _ = select.select(watched, [], [], 2.0)
            for item in ready:
                if item is self.wake_r:
                    self._signalled()
                elif item is self.listener:
                    self._accept()
                elif isinstance(item, int):
                    self._ended(item)
                else:
                    self._client_gone(item)

    def _idle_over(self) -> bool:
        return time.monotonic() - self.last >= self.idle

    def _server_gone(self) -> bool:
        return _server_gone(self.birth)

    def _signalled(self) -> None:
        with contextlib.suppress(BlockingIOError):
            received = self.wake_r.recv(64)
            if any(b in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP) for b in received):
                self._stop()

    def _stop(self) -> None:
        """No more runs; those in flight are cancelled (SIGTERM), killed after a grace."""
        if self.stopping:
            return
        self.stopping = True
        _unpublish(self.home)
        for run in self.runs.values():
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(run.pidfd, signal.SIGTERM)
        signal.signal(signal.SIGALRM, lambda *_: self._kill_all())
        signal.alarm(int(STOP_GRACE))

    def _kill_all(self) -> None:
        for run in self.runs.values():
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(run.pidfd, signal.SIGKILL)

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.last = time.monotonic()
        fds: list[int] = []
        try:
            uid = _peer_uid(conn)
            conn.settimeout(5.0)
            request = runner_link.receive(conn, fds)
            if uid != os.getuid() or len(fds) != 3:
                raise runner_link.Closed
            why = refusal(self.birth, request)
            if why is not None:
                runner_link.send(conn, {"refused": why[0]})
                log.warning("runner: a run refused: %s", why[0])
                if why[1]:
                    self._stop()
                conn.close()
                return
            conn.settimeout(None)
            self._fork(conn, request, fds)
        except (OSError, runner_link.Closed, ValueError) as exc:
            log.warning("runner: a request failed: %s", exc)
            conn.close()
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _fork(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        inherited = [self.listener.fileno(), self.wake_r.fileno(), self.wake_w.fileno()]
        inherited += [*self.keep, *self.runs, *(r.conn.fileno() for r in self.runs.values())]
        pid = os.fork()
        if pid == 0:
            _child(conn, request, fds, inherited, self.birth)  # never returns
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # cannot watch it: wait for it here (rare: very old kernels)
            _, status = os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                runner_link.send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            conn.close()
            return
        self.runs[pidfd] = _Run(pid, pidfd, conn)
        log.info(
            "runner %d: took a run: pid %d, %s", os.getpid(), pid, " ".join(request["argv"][1:2])
        )

    def _ended(self, pidfd: int) -> None:
        run = self.runs.pop(pidfd)
        _, status = os.waitpid(run.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code  # killed by a signal: as a shell says it
        with contextlib.suppress(OSError):
            runner_link.send(run.conn, {"exit": code})
        run.conn.close()
        os.close(pidfd)
        self.last = time.monotonic()
        log.info(
            "runner %d: run %d ended (%d) in %.2f s",
            os.getpid(),
            run.pid,
            code,
            self.last - run.started,
        )

    def _client_gone(self, conn: socket.socket) -> None:
        """The caller went away (killed): its run is cancelled as by SIGTERM."""
        for run in self.runs.values():
            if run.conn is conn:
                with contextlib.suppress(OSError):
                    if conn.recv(64):
                        return  # nothing is expected from a caller; ignored
                run.caller_gone = True
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(run.pidfd, signal.SIGTERM)


def _peer_uid(conn: socket.socket) -> int:
    import struct

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _child(
    conn: socket.socket,
    request: dict[str, Any],
    fds: list[int],
    inherited: list[int],
    birth: Birth,
) -> None:
    """The forked run: the caller's terminal, directory and environment, then the command.
    It says "started" before anything runs; should that fail, nothing ran."""
    try:
        log.handlers.clear()  # the runner's log file is not the run's output
        log.propagate = True
        signal.set_wakeup_fd(-1)
        signal.alarm(0)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGALRM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]))
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["PREFECT_API_URL"] = birth.api_url
        sys.argv = list(request["argv"])
        runner_link.send(conn, {"started": os.getpid()})
        conn.close()
    except BaseException:
        os._exit(NOT_STARTED)
    os._exit(_run_command(birth))


def _run_command(birth: Birth) -> int:
    """What `python -m mediawatch.cli` does, in this forked process; its exit status."""
    import atexit
    import tempfile
    import threading
    import traceback

    code: Any = 0
    try:
        from mediawatch import background, handoff, interrupt

        handoff.disabled = True
        tempfile.tempdir = None
        interrupt.GRACE_SECONDS = float(
            os.environ.get("MEDIAWATCH_TEST_GRACE_SECONDS") or interrupt.DEFAULT_GRACE_SECONDS
        )
        with contextlib.suppress(Exception):
            sys.stdout.reconfigure(line_buffering=os.isatty(1))
        _consoles_for_this_terminal()
        background.hold(birth.home)  # the server's watchdog sees this run
        from mediawatch import cli

        code = cli.main()
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        traceback.print_exc()
        code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:  # the interpreter's own exit: threads, then atexit (Prefect's last logs, workers)
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def _consoles_for_this_terminal() -> None:
    """Prefect's console log handlers were made for the runner's output (no terminal):
    made again for the caller's, so its width and colours are those of an in-process run."""
    with contextlib.suppress(Exception):
        from prefect.logging.configuration import setup_logging

        setup_logging(incremental=False)


def _logging_config_once() -> None:
    """Prefect's logging configuration, read once in the runner: its file is a template
    filled from all of Prefect's settings (90 ms), the same for every run it takes
    (their Prefect settings are the runner's, ``refusal``), so each run's
    ``_consoles_for_this_terminal`` only builds the handlers from a copy."""
    import copy

    from prefect.logging import configuration

    load, memo = configuration.load_logging_config, {}

    def load_once(path: Path) -> dict[str, Any]:
        if path not in memo:
            memo[path] = load(path)
        return copy.deepcopy(memo[path])

    configuration.load_logging_config = load_once
    _consoles_for_this_terminal()  # read now, in the runner (its own handlers: unchanged)


def _publish(home: Path, listener_path: str, birth: Birth, idle_minutes: float) -> None:
    state = {
        "pid": os.getpid(),
        "socket": str(home / runner_link.SOCKET_FILE),
        "api_url": birth.api_url,
        "idle_minutes": idle_minutes,
        "python": sys.executable,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = home / (runner_link.STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, home / runner_link.STATE_FILE)


def _unpublish(home: Path) -> None:
    state = read_state(home)
    if state is not None and state.get("pid") == os.getpid():
        (home / runner_link.SOCKET_FILE).unlink(missing_ok=True)
        (home / runner_link.STATE_FILE).unlink(missing_ok=True)


def serve(home: Path, idle_minutes: float) -> int:
    handler = logging.StreamHandler(sys.stderr)  # the runner's log file; not its runs'
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    home.mkdir(parents=True, exist_ok=True)
    lock = os.open(home / runner_link.LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another runner has this home
    import flows  # noqa: F401  (the project's Prefect environment, as the callers have it)
    from mediawatch import service

    env = runner_link.env_that_matters(os.environ)
    files = runner_link.settings_files(os.getcwd())
    server = _server(home)
    if server is None:
        log.warning("runner: no Prefect server answers for %s: not started", home)
        return 0
    os.environ["PREFECT_API_URL"] = server[0]  # before Prefect is imported
    started = time.monotonic()
    n = warm()
    _logging_config_once()
    code = code_fingerprint()
    birth = Birth(env, files, code, server[0], server[1], home)
    import gc
    import threading

    if threading.active_count() != 1:  # forking a threaded process is not safe
        log.warning("runner: threads after the imports (%s): not started", threading.enumerate())
        return 0
    gc.collect()
    gc.freeze()  # what the imports made stays shared with the forked runs, untouched
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    (home / runner_link.SOCKET_FILE).unlink(missing_ok=True)
    old_mask = os.umask(0o177)  # the socket: 0600
    try:
        with runner_link.socket_path(home) as path:
            listener.bind(path)
    finally:
        os.umask(old_mask)
    listener.listen(16)
    runner = Runner(home, idle_minutes, birth, listener)
    runner.keep = [lock]
    _publish(home, str(home / runner_link.SOCKET_FILE), birth, idle_minutes)
    with contextlib.suppress(OSError):  # runs are coming: the server's idle time starts anew
        os.utime(home / service.USERS_FILE)
    log.info(
        "runner %d: %d modules imported in %.1f s; listening (idle stop after %g minutes)",
        os.getpid(),
        n,
        time.monotonic() - started,
        idle_minutes,
    )
    try:
        runner.loop()
    finally:
        _unpublish(home)
        listener.close()
    log.info("runner %d: stopped", os.getpid())
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m mediawatch.runner PREFECT_HOME IDLE_MINUTES", file=sys.stderr)
        return 2
    return serve(Path(argv[0]), float(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
