"""Ctrl-C and SIGTERM for the command line: stop now, leave things whole, say so once.

The first SIGINT or SIGTERM raises ``Interrupted`` (a KeyboardInterrupt) in the main
thread, wherever it is: a run abandons the batch it was extracting or storing (each
batch is stored in one transaction, so the database keeps whole batches only), records
itself as cancelled, and the command prints one line and exits 130 or 143. The
processes the command started (Prefect's temporary server, the extraction workers) are
stopped by the callbacks registered with ``on_exit``; they do not take the terminal's
Ctrl-C themselves.

The clean-up is bounded: ``exit_now`` ends the process with ``os._exit`` (no waiting for
threads that fetch or extract, nor for Prefect's log and event queues), and should the
clean-up hang, a watchdog ends the process ``grace`` seconds after the signal. A second
signal ends the process at once. Either way one line, never a traceback.

Only the command line installs the handlers (``install``); a library caller keeps
Python's own behaviour.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

# From the signal to the exit, at most (the promise is 10 s). The tests give the clean-up
# longer (MEDIAWATCH_TEST_GRACE_SECONDS): they check its path, not a busy machine's clock.
DEFAULT_GRACE_SECONDS = 8.0
GRACE_SECONDS = float(os.environ.get("MEDIAWATCH_TEST_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The command was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


_lock = threading.Lock()
_installed = False
_requested: int | None = None  # the first signal, once one came
_handled = 0  # signals that reached our handler
_shield = 0  # depth of ``shielded`` sections in the main thread
_pending: int | None = None  # a signal that came inside a shielded section
_exit_callbacks: list[Callable[[], None]] = []
_stop_callbacks: list[Callable[[], None]] = []


def install() -> None:
    """Handle SIGINT and SIGTERM in this process (the main thread only)."""
    global _installed
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in SIGNALS:
        signal.signal(sig, _handler)
    _installed = True


def installed() -> bool:
    return _installed


# Set by `mediawatch serve` for the flow runs it starts (they inherit its environment).
SERVED_RUN = "MEDIAWATCH_SERVED_RUN"


def served_run() -> bool:
    """Is this process a flow run that `mediawatch serve` started?"""
    return os.environ.get(SERVED_RUN) == "1"


def leave_ctrl_c_to_serve() -> bool:
    """In a flow run that `serve` started, ignore SIGINT (``reclaim`` says why); True if so."""
    if not served_run() or threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return True


def reclaim() -> None:
    """Take SIGTERM back from Prefect inside a flow run of this command (Prefect's flow
    engine installs a handler of its own for its runner's cancellations, which a
    one-shot command does not have); a no-op where ``install`` was never called.

    In a flow run that `serve` started, SIGTERM is how serve's runner cancels it: the
    handler stops the extraction workers and the run records itself cancelled. A
    terminal's Ctrl-C reaches this process too (serve's process group), but stopping
    it is serve's job: SIGINT is ignored here, or it would cut the cancellation short."""
    global _installed
    if threading.current_thread() is not threading.main_thread():
        return
    if leave_ctrl_c_to_serve():
        signal.signal(signal.SIGTERM, _handler)
        _installed = True
        return
    if _installed:
        for sig in SIGNALS:
            if signal.getsignal(sig) is not _handler:
                signal.signal(sig, _handler)


def requested() -> int | None:
    """The signal that asked this process to stop, if one did."""
    return _requested


def signal_of(exc: BaseException) -> int | None:
    """The signal behind an exception: ours, a plain KeyboardInterrupt, or the
    TerminationSignal of Prefect's flow engine; None for anything else."""
    if isinstance(exc, Interrupted):
        return exc.signum
    if isinstance(exc, KeyboardInterrupt):
        return signal.SIGINT
    if type(exc).__name__ == "TerminationSignal" and isinstance(getattr(exc, "signal", None), int):
        return exc.signal
    return None


def note(signum: int, watchdog: bool = True) -> None:
    """Record that the process is stopping (a signal that came another way: Prefect's
    handler in a flow run); quietens the console and arms the watchdog (not for
    Prefect's serve, which stops the flow runs it started in their own time)."""
    global _requested
    with _lock:
        first = _requested is None
        if first:
            _requested = signum
    if first:
        _quiet_console()
        if _stop_callbacks:  # not in the handler: the main thread may hold their locks
            threading.Thread(target=_run_all, args=(list(_stop_callbacks),), daemon=True).start()
        if _installed and watchdog:
            threading.Thread(target=_watchdog, args=(signum,), daemon=True).start()


def on_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` as soon as a signal asks the process to stop (from a thread of
    its own): end work that is no longer wanted, such as extraction in the workers,
    which a flow run would otherwise wait for. Also run on exit."""
    _stop_callbacks.append(callback)
    return on_exit(callback)


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        with contextlib.suppress(Exception):
            callback()


def on_exit(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` (quick, non-blocking: kill a child process) when an interrupted
    command exits; returns it, for ``forget``."""
    _exit_callbacks.append(callback)
    return callback


def forget(callback: Callable[[], None]) -> None:
    for callbacks in (_exit_callbacks, _stop_callbacks):
        with contextlib.suppress(ValueError):
            callbacks.remove(callback)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """A section the first signal does not cut short (a few statements that must go
    together); the signal takes effect when it ends. A second signal still exits."""
    global _shield, _pending
    main = threading.current_thread() is threading.main_thread()
    if main:
        _shield += 1
    try:
        yield
    finally:
        if main:
            _shield -= 1
            if _shield == 0 and _pending is not None:
                signum, _pending = _pending, None
                raise Interrupted(signum)


def _handler(signum: int, frame: object) -> None:
    global _handled, _pending
    _handled += 1
    if _handled > 1:
        exit_now(signum, f"mediawatch: stopped at once ({signal_name(signum)} again)")
    note(signum)
    if _shield:
        _pending = signum
        return
    raise Interrupted(signum)


def _watchdog(signum: int) -> None:
    time.sleep(GRACE_SECONDS)
    exit_now(
        signum,
        f"mediawatch: stopped ({signal_name(signum)}) before the clean-up ended; "
        "run the same command again to go on",
        flush=False,  # the main thread may be stuck holding the streams' locks
    )


def _quiet_console() -> None:
    """No more log lines on the terminal (Prefect reports the crash of a flow run it was
    running there): the command says in one line what happened. Logs sent to the
    Prefect server are kept."""
    try:
        loggers = [logging.getLogger()]
        loggers += [
            lg
            for lg in list(logging.Logger.manager.loggerDict.values())
            if isinstance(lg, logging.Logger)
        ]
        for lg in loggers:
            for h in list(lg.handlers):
                if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler):
                    h.setLevel(logging.CRITICAL + 1)
    except Exception:  # another thread adding a logger meanwhile: a quieter console only
        pass


_exiting = threading.Lock()


def _release_semaphores() -> None:
    """What multiprocessing does at a normal exit, short of joining anything: the
    semaphores of the worker pool's queues are released, so its resource tracker has
    nothing left to warn about ("leaked semaphore objects")."""
    if "multiprocessing" not in sys.modules:
        return
    with contextlib.suppress(Exception):
        from multiprocessing import util

        util._run_finalizers(0)


def exit_now(signum: int, line: str, flush: bool = True) -> None:
    """Stop the processes this command started, print ``line``, and end the process
    with 128 + ``signum``, without waiting for anything else."""
    if not _exiting.acquire(blocking=False):
        return  # another thread is ending the process already
    _run_all(list(reversed(_exit_callbacks)))
    _release_semaphores()
    for stream in (sys.stdout, sys.stderr) if flush else ():
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(OSError):
        # on a terminal: the cursor back (a progress bar hides it), a line of our own
        lead = b"\x1b[?25h\n" if os.isatty(2) else b""
        os.write(2, lead + line.encode("utf-8", "replace") + b"\n")
    os._exit(exit_code(signum))
