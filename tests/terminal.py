"""`mediawatch` on a real pseudo-terminal, for the tests of what a terminal is shown."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from .conftest import ROOT


def in_terminal(args: list[str], env: dict[str, str] | None = None, columns: int = 250) -> bytes:
    """`mediawatch ARGS` on a pseudo-terminal ``columns`` wide: every byte it writes, as a
    terminal gets it. The command must succeed."""
    leader, follower = pty.openpty()
    terminal = {
        **(os.environ if env is None else env),
        "COLUMNS": str(columns),
        "LINES": "50",
        "TERM": "xterm-256color",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediawatch.cli", *args],
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=terminal,
        close_fds=True,
    )
    os.close(follower)
    out = bytearray()
    deadline = time.monotonic() + 120  # a bound against a hang, not a timing assertion
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every process that had the terminal closed it
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        proc.wait(timeout=60)
    assert proc.returncode == 0, bytes(out).decode(errors="replace")
    return bytes(out)
