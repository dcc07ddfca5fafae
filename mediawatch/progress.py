"""Progress of a run, reported through the pipeline to whoever listens.

The flow says how many items it expects and how many are done; the command line
installs a listener that draws them (``mediawatch.render.progress_listener``: a
live line on a terminal, sparse plain lines in logs). Runs without a listener
(scheduled runs, tests) pay nothing: not even the counting of items ahead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    done: int  # items finished (stored, skipped as known, or failed)
    total: int  # items expected so far (may grow: feeds are counted once read)
    elapsed: float  # seconds since the run started
    finished: bool = False

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


Listener = Callable[[ProgressEvent], None]

_lock = threading.Lock()
_listener: Listener | None = None
_state = {"done": 0, "total": 0}
_started = [0.0]


def active() -> bool:
    """Is anyone listening? (Counting the items ahead costs a pass over the sources.)"""
    return _listener is not None


@contextmanager
def listen(listener: Listener) -> Iterator[None]:
    """Send this process's progress events to ``listener`` while inside."""
    global _listener
    with _lock:
        _listener = listener
        _state.update(done=0, total=0)
        _started[0] = time.monotonic()
    try:
        yield
    finally:
        _emit(finished=True)
        with _lock:
            _listener = None


def expect(n: int) -> None:
    """``n`` more items are on their way."""
    if _listener is None or n <= 0:
        return
    with _lock:
        _state["total"] += n
    _emit()


def advance(n: int) -> None:
    """``n`` more items are done."""
    if _listener is None or n <= 0:
        return
    with _lock:
        _state["done"] += n
        _state["total"] = max(_state["total"], _state["done"])
    _emit()


def _emit(finished: bool = False) -> None:
    listener = _listener
    if listener is None:
        return
    with _lock:
        event = ProgressEvent(
            _state["done"], _state["total"], time.monotonic() - _started[0], finished
        )
    listener(event)
