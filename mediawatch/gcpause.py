"""Storing a batch with Python's cyclic garbage collector paused.

A batch allocates millions of small containers (term dictionaries, token tuples, score
rows) while the process holds many long-lived ones (the batches extracted ahead, caches):
every few thousand allocations the collector walks them, and on the end-to-end benchmark
that was about a fifth of the storing CPU. The batch's objects are freed by reference
counting anyway; cycles it leaves are collected once the collector runs again afterwards.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # nested or concurrent pauses: the collector resumes when the last one ends
_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
