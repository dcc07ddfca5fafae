"""Worker processes end with the run that started them.

A process pool's workers block on their task queue, whose pipe they hold both ends
of, so they never notice that the run's process is gone: a run killed with SIGKILL
would leave its workers (and, through them, the forkserver) behind for good, holding
whatever the run held open. ``exit_with_parent`` is a pool initializer that watches
the run's process from a thread and ends the worker once it has gone.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def process_gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Pool initializer: ``initializer=exit_with_parent, initargs=(os.getpid(),)``."""

    def watch() -> None:
        while not process_gone(parent):
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
