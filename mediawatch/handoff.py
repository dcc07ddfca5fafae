"""The command line as a thin client: `mediawatch ingest` and `run` hand their run to the
warm runner (mediawatch.runner) when one listens, and run in-process otherwise.

The runner has Prefect and the pipeline imported already; it forks a process for the
run, which gets this command's terminal (standard input, output and error, passed
over the socket: widths, colours and progress as in-process), arguments, working
directory and environment, and runs the same code the command would. This process
waits for its exit status and passes on Ctrl-C, SIGTERM and SIGHUP (as SIGTERM): the
run stops, records itself and says so exactly as it does in-process.

Never a lost or a double run: the run starts only after the forked process has told
this client its pid ("started"); until then anything that goes wrong (no runner, a
runner of other code or another environment, a refusal, a broken connection) means
the command runs in-process, as without a runner. After "started" it never does.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
from pathlib import Path

from mediawatch import runner_link

# Set in the runner's forked run process: its command runs there, not handed over again.
disabled = False
SWITCH = "MEDIAWATCH_SERVICE_WARM_RUNNER"  # the setting service.warm_runner: false, never


def switched_off() -> bool:
    return os.environ.get(SWITCH, "").strip().lower() in ("0", "false", "no", "off")


def _wanted(argv: list[str]) -> bool:
    if disabled or not argv or argv[0] not in runner_link.COMMANDS or switched_off():
        return False
    # no background processes in CI and tests (mediawatch.background.idle_minutes)
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return False
    return os.environ.get("MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES", "").strip() not in (
        "0",
        "0.0",
    )


def home() -> Path:
    import flows  # noqa: F401  (the project's Prefect environment: PREFECT_HOME)

    return Path(os.environ["PREFECT_HOME"]).expanduser()


def hand_off(argv: list[str]) -> int | None:
    """The run's exit status once the runner ran it; None: run it in this process."""
    if not _wanted(argv):
        return None
    where = home()
    if not (where / runner_link.SOCKET_FILE).exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with runner_link.socket_path(where) as path:
            sock.settimeout(5.0)
            sock.connect(path)
        request = {
            "protocol": runner_link.PROTOCOL,
            "argv": [sys.argv[0], *argv],
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "umask": _umask(),
            "executable": sys.executable,
            "code": [str(d) for d in runner_link.code_dirs()],
        }
        runner_link.send(sock, request, fds=[0, 1, 2])
        sock.settimeout(30.0)  # the runner checks and forks: milliseconds when idle
        answer = runner_link.receive(sock)
    except (OSError, runner_link.Closed, ValueError):
        sock.close()
        return None  # nothing started: in-process
    pid = answer.get("started")
    if not isinstance(pid, int):
        sock.close()
        return None  # refused (answer["refused"] says why): in-process
    try:
        return _wait(sock, pid)
    finally:
        sock.close()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _wait(sock: socket.socket, pid: int) -> int:
    """Wait for the run's exit status; pass on the signals meant for it. Should the runner
    go away meanwhile (killed), wait for the run itself to end."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except OSError:
        pidfd = None  # ended already: its status is on the way
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    old_wakeup = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    forwarded = {signal.SIGINT: signal.SIGINT, signal.SIGTERM: signal.SIGTERM}
    forwarded[signal.SIGHUP] = signal.SIGTERM
    old = {s: signal.signal(s, lambda *_: None) for s in forwarded}
    sock.settimeout(None)
    runner: socket.socket | None = sock
    try:
        while True:
            watched: list[object] = [wake_r, runner if runner is not None else pidfd]
            ready, _, _ = select.select([w for w in watched if w is not None], [], [])
            if wake_r in ready:
                for byte in wake_r.recv(64):
                    target = forwarded.get(signal.Signals(byte))
                    if target is not None and pidfd is not None:
                        with contextlib.suppress(OSError):
                            signal.pidfd_send_signal(pidfd, target)
            if runner is not None and runner in ready:
                try:
                    message = runner_link.receive(runner)
                except (OSError, runner_link.Closed, ValueError):
                    runner = None
                    if pidfd is None:
                        return _runner_lost()
                    continue
                if isinstance(message.get("exit"), int):
                    return message["exit"]
            elif runner is None and pidfd in ready:
                return _runner_lost()
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for s, handler in old.items():
            signal.signal(s, handler)
        wake_r.close()
        wake_w.close()
        if pidfd is not None:
            os.close(pidfd)


def _runner_lost() -> int:
    print(
        "mediawatch: the warm runner ended during the run, so its exit status is unknown; "
        "`mediawatch runs` shows how the run ended",
        file=sys.stderr,
    )
    return 1
