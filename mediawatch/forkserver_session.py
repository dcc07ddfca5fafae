"""Imported only by the extraction pool's forkserver, first thing (its preload list, in
mediawatch.prepare): the forkserver leaves the run's process group for a session of its
own, and the workers it forks are born there.

The terminal's Ctrl-C and a service manager's SIGTERM go to the run's process group.
Had they reached the forkserver, it would die, and with it the channel its workers
report their exit through: the pool would break and the run redo its batch in-process
while it is being stopped. The run decides what a signal means and stops its workers
itself (mediawatch.interrupt); the forkserver ends when the run does (its pipe to the
run closes), and each worker too (mediawatch.lifeline).
"""

from __future__ import annotations

import contextlib
import os

with contextlib.suppress(OSError):  # already a group leader: nothing to leave
    os.setsid()
