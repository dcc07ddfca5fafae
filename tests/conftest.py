"""Shared fixtures: one Prefect test harness for the whole session, real DuckDB files."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# Output that is not a terminal is laid out for 80 columns, so a temporary path's length
# (longer under pytest-xdist) would decide where lines break: the tests read output laid
# out wide, unless they choose a width themselves. Set before any console is made.
os.environ["COLUMNS"] = "250"
# A signalled command cleans up, then exits; a watchdog ends it after 8 s whatever the
# clean-up is doing. The tests check the clean-up's path and output, which on a busy
# machine (or beside another test worker) may take longer than that.
os.environ["MEDIAWATCH_TEST_GRACE_SECONDS"] = "60"

# Every process the session starts carries this mark (the xdist workers take the
# controller's): at the end, none may be left (pytest_sessionfinish below).
os.environ["MEDIAWATCH_TEST_SESSION"] = (
    os.environ.get("MEDIAWATCH_TEST_SESSION") or f"{os.getpid()}-{os.urandom(4).hex()}"
)

import flows  # noqa: F401  (Prefect environment before Prefect loads)

# No background Prefect server for the commands the tests run (each starts Prefect's
# temporary one, or reports to the test's server): tests/test_background.py turns it on.
os.environ["MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES"] = "0"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never touch the project's own database or settings."""
    saved = {k: os.environ.get(k) for k in ("MEDIAWATCH_DB", "MEDIAWATCH_CONFIG")}
    os.environ["MEDIAWATCH_DB"] = str(tmp_path_factory.mktemp("default-db") / "unused.duckdb")
    os.environ.pop("MEDIAWATCH_CONFIG", None)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every flow run of the session."""
    import prefect.testing.utilities as harness
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    def seeded_tempdir() -> str:  # the harness's database, already migrated (above)
        made = tempfile.mkdtemp()
        shutil.copyfile(migrated_database(), Path(made) / "prefect-test.db")
        return made

    plain, harness.mkdtemp = harness.mkdtemp, seeded_tempdir
    try:
        with (
            temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
            prefect_test_harness(server_startup_timeout=120),
        ):
            harness.mkdtemp = plain
            yield
    finally:
        harness.mkdtemp = plain


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


# --- the inspector's data: the seeds plus articles that try to run script -------------

XSS_MARK = "__xss"  # every payload sets window.__xss or the document title
XSS_TITLE = (
    "<script>window.__xss='title'</script>Quillmouth <img src=x onerror=\"window.__xss='img'\">"
    " market"
)
XSS_PARAGRAPHS = [
    "The Quillmouth harbour council voted on Monday to close the old fish market "
    "<script>window.__xss='body'</script> after inspectors found its roof unsafe for "
    "traders and visitors alike.",
    "Council leader Anna Brisk said the <img src=x onerror=\"document.title='XSS'\"> market "
    "would reopen next spring once the repairs, costing 2.4 million crowns, are finished.",
    "Traders will move to a temporary hall on Pier Road <svg onload=\"window.__xss='svg'\">"
    "</svg> from the first of May, the council said in a statement on Monday evening.",
    "Fishermen welcomed the decision but asked for <a href=\"javascript:window.__xss='a'\">"
    "lower rents</a> in the temporary hall while the old market is being repaired.",
    "\"><script>window.__xss='attr'</script><body onload=\"window.__xss='onload'\"> The "
    "council will publish the full inspection report of the market hall next week.",
]
XSS_ARTICLES = [
    {
        "url": "javascript:window.__xss='url'//quillmouth",
        "title": XSS_TITLE,
        "text": "\n".join(XSS_PARAGRAPHS),
        "published_at": "2026-05-04T09:00:00",
        "source": "<b onmouseover=\"window.__xss='source'\">Quill Wire</b>",
    },
    {
        "url": 'https://quill.example/market?id="><img src=x onerror="window.__xss=\'url2\'">',
        "title": "Quillmouth fish market to close <iframe src=\"javascript:window.__xss='if'\">",
        "text": "\n".join(
            [p.replace("on Monday evening", "on Monday night") for p in XSS_PARAGRAPHS]
            + ["This article first appeared on <style>body{display:none}</style> Quill Wire."]
        ),
        "published_at": "2026-05-04T13:30:00",
        "source": "Harbour Post <script>window.__xss='src2'</script>",
    },
]


@pytest.fixture(scope="session")
def inspect_db(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds and the hostile articles, ingested through the real flow once per session.
    Read-only for every test that uses it."""
    import json

    from mediawatch.cli import main

    folder = tmp_path_factory.mktemp("inspect")
    hostile = folder / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(a) for a in XSS_ARTICLES) + "\n", encoding="utf-8")
    path = folder / "inspect.duckdb"
    assert main(["ingest", str(SEEDS), str(hostile), "--db", str(path)]) == 0
    return path


@contextmanager
def ui_server(db: Path, *extra: str) -> Iterator[str]:
    """`mediawatch ui` in its own process on a free loopback port; yields its base URL."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "mediawatch.cli", "ui", "--db", str(db), "--port", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # "mediawatch inspector on http://127.0.0.1:PORT/ ..."
        if "http://" not in line:
            proc.kill()
            raise RuntimeError(f"the inspector did not start: {line}{proc.stderr.read()}")
        yield line.split()[3].rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- a real Prefect server, for the service tests and the runs in subprocesses ---------


@dataclass(frozen=True)
class PrefectServer:
    home: Path  # its PREFECT_HOME (a temporary one)
    url: str  # http://127.0.0.1:PORT: the UI; the API is under /api
    env: dict[str, str]  # for subprocesses that use it: PREFECT_HOME, PREFECT_API_URL, ...

    @property
    def api_url(self) -> str:
        return self.url + "/api"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mediawatch(*args: str, env: dict[str, str], timeout: float = 180, **kwargs):
    """`mediawatch ARGS` in a subprocess (as a user runs it), its output captured."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "mediawatch.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


# A Prefect database already migrated, made once per session (all xdist workers share
# it) by Prefect's own `prefect server database upgrade`, and copied into the new
# Prefect home of a test that starts a server there: migrating a new database costs 12
# to 15 s of CPU, which every such test paid. The tests of a first run on an empty home
# (the one-shot run's own server, a killed one-shot run, nothing new) keep theirs empty.
_OWN_TEMPLATE = "MEDIAWATCH_TEST_PREFECT_DB" not in os.environ  # else the caller's to remove
PREFECT_DB_TEMPLATE = Path(
    os.environ.setdefault(
        "MEDIAWATCH_TEST_PREFECT_DB",
        str(
            Path(tempfile.gettempdir())
            / f"mediawatch-prefect-db-{os.environ['MEDIAWATCH_TEST_SESSION']}"
        ),
    )
)


def migrated_home(home: Path) -> Path:
    """``home`` as a Prefect home whose database is already at Prefect's latest schema."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_database(), home / "prefect.db")
    return home


def migrated_database() -> Path:
    """The session's migrated Prefect database (made on first use)."""
    import fcntl
    import subprocess
    import sys

    template = PREFECT_DB_TEMPLATE
    template.mkdir(parents=True, exist_ok=True)
    with open(template / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker migrates, the other waits
        if not (template / "prefect.db").exists():
            making = template / "making"
            shutil.rmtree(making, ignore_errors=True)
            env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
            done = subprocess.run(
                [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                env=env | {"PREFECT_HOME": str(making)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            (making / "prefect.db").rename(template / "prefect.db")
            shutil.rmtree(making, ignore_errors=True)
    return template / "prefect.db"


def processes_with_env(name: str, value: str) -> list[str]:
    """Live processes whose environment has name=value (orphans of a test)."""
    wanted = f"{name}={value}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (proc / "environ").read_bytes().split(b"\0"):
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name}: {cmd}")
        except OSError:
            continue
    return found


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """`mediawatch server start` with a temporary Prefect home on a free port, for the
    whole session (a start costs 10-20 s); stopped at the end, leaving no process.

    The tests that use it run Prefect only in subprocesses with its environment, so
    the session's test harness (in this process) is never involved."""
    home = migrated_home(tmp_path_factory.mktemp("prefect-home"))
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "MEDIAWATCH_SERVICE_PORT": str(port),
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    started = mediawatch("server", "start", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    url = f"http://127.0.0.1:{port}"
    assert url in started.stdout
    client = {
        **env,
        "PREFECT_API_URL": url + "/api",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # serve: look for due runs every second
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    try:
        yield PrefectServer(home, url, client)
    finally:
        stopped = mediawatch("server", "stop", env=env)
        assert stopped.returncode == 0, stopped.stderr
        assert processes_with_env("PREFECT_HOME", str(home)) == []


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


SESSION_MARK = "MEDIAWATCH_TEST_SESSION"


def _parents() -> dict[int, int]:
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            out[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[-1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return out


def _descends_from_me(pid: int, parents: dict[int, int]) -> bool:
    while pid > 1:
        if pid == os.getpid():
            return True
        pid = parents.get(pid, 1)
    return False


def _session_leftovers() -> list[str]:
    """Processes with this session's mark, other than pytest itself, its xdist workers and
    the extraction pool of the flows it ran itself (its forkserver, workers and resource
    tracker end when it does)."""
    mine = _ancestors()
    parents = _parents()
    left = []
    for line in processes_with_env(SESSION_MARK, os.environ[SESSION_MARK]):
        pid = int(line.split(":", 1)[0])
        if pid in mine or "exec(eval(sys.stdin.readline()))" in line:  # an xdist worker
            continue
        if "from multiprocessing." in line and _descends_from_me(pid, parents):
            continue
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z":
                continue
        except OSError:
            continue
        left.append(line)
    return left


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    """No process left behind by the whole session (servers, runners, workers): checked
    once, by the process that started the session, after the other hooks (xdist's
    workers, and the extraction pools of the flows they ran in-process, have ended)."""
    import time

    yield
    if hasattr(session.config, "workerinput"):
        return
    if _OWN_TEMPLATE:
        shutil.rmtree(PREFECT_DB_TEMPLATE, ignore_errors=True)
    deadline = time.monotonic() + 60  # what is stopping gets the time to end
    while (left := _session_leftovers()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        print("\nprocesses left behind by the tests:\n  " + "\n  ".join(left))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
