"""Pause points: where a test stops a real run to signal or kill it at a known step.

``MEDIAWATCH_TEST_PAUSE=NAME:N`` makes the N-th pass of this process through
``pause("NAME")`` write ``mediawatch-test: paused at NAME N (pid P)`` to standard error
and sleep until a signal ends the sleep (or the process). Without the variable a pause
point costs one dictionary lookup and does nothing: the run takes its real path, and
the test knows which step it is in instead of guessing from the clock.

Points: ``startup`` (the command line, after launching Prefect's temporary server and
before importing Prefect), ``extract`` (a worker process, before it extracts a chunk),
``store`` (inside a batch's transaction, its articles written, not committed),
``stored`` (a batch committed), ``compact`` (vacuum: pruned, before compacting).
"""

from __future__ import annotations

import os
import time

_ENV = "MEDIAWATCH_TEST_PAUSE"
_passes: dict[str, int] = {}


def pause(name: str) -> None:
    wanted = os.environ.get(_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _passes[name] = n = _passes.get(name, 0) + 1
    if n != int(nth or 1):
        return
    os.write(2, f"mediawatch-test: paused at {name} {n} (pid {os.getpid()})\n".encode())
    while True:
        time.sleep(3600)
