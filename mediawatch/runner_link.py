"""What the warm runner (mediawatch.runner) and the command line's thin client
(mediawatch.handoff) share: where the runner listens, how a message looks, and which
parts of an environment must be equal for a run to be handed over.

Standard library only: the thin client imports this before deciding anything, and a
command that cannot hand its run over pays no more than this module's import.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SOCKET_FILE = "mediawatch-runner.sock"
STATE_FILE = "mediawatch-runner.json"
LOCK_FILE = "mediawatch-runner.lock"  # held by the runner for its whole life
LOG_FILE = "runner.log"
PROTOCOL = 1
COMMANDS = ("ingest", "run")  # what the runner takes; every other command runs in-process

# Read once, when a module is imported (Prefect's settings, the interpreter, numerical
# libraries' thread pools, the locale): a runner imported them under its environment,
# so a run is handed over only when the caller's values are the same. Everything else
# (mediawatch's settings, the terminal, PATH) is read when used: the run gets the
# caller's values.
_PREFIXES = ("PREFECT_", "PYTHON", "OPENBLAS_", "OMP_", "MKL_", "DASK_", "LC_")
_NAMES = ("DO_NOT_TRACK", "LANG", "LANGUAGE", "TZ", "HOME", "VIRTUAL_ENV")
# Prefect also reads settings files in the working directory when it is imported.
SETTINGS_FILES = (".env", "prefect.toml", "pyproject.toml")


def env_that_matters(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_PREFIXES) or k in _NAMES}


def settings_files(cwd: str) -> dict[str, str | None]:
    """The Prefect settings files of a working directory, as text (None: none there)."""
    out: dict[str, str | None] = {}
    for name in SETTINGS_FILES:
        try:
            out[name] = (Path(cwd) / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            out[name] = None
    return out


def code_dirs() -> list[Path]:
    """The source trees a runner has imported (mediawatch, flows, storage)."""
    root = Path(__file__).resolve().parent.parent
    return [root / "mediawatch", root / "flows", root / "storage"]


@contextmanager
def socket_path(home: Path):
    """The socket's path, short enough for AF_UNIX (108 bytes) however deep ``home`` is:
    through this process's descriptor of the folder when the plain path is too long."""
    plain = str(home / SOCKET_FILE)
    if len(plain.encode()) < 100:
        yield plain
        return
    fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{SOCKET_FILE}"
    finally:
        os.close(fd)


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode("utf-8")
    frame = struct.pack("!I", len(data)) + data
    if fds:
        socket.send_fds(sock, [frame], fds)
    else:
        sock.sendall(frame)


class Closed(Exception):
    """The other end went away before a whole message came."""


def _exactly(sock: socket.socket, n: int, fds: list[int] | None) -> bytes:
    data = b""
    while len(data) < n:
        if fds is not None and not data:
            chunk, got, _, _ = socket.recv_fds(sock, n - len(data), 8)
            fds.extend(got)
        else:
            chunk = sock.recv(n - len(data))
        if not chunk:
            raise Closed
        data += chunk
    return data


def receive(sock: socket.socket, fds: list[int] | None = None) -> dict[str, Any]:
    """One message; descriptors that came with it are appended to ``fds``."""
    (size,) = struct.unpack("!I", _exactly(sock, 4, fds))
    if size > 16 * 1024 * 1024:
        raise Closed
    message = json.loads(_exactly(sock, size, None).decode("utf-8"))
    if not isinstance(message, dict):
        raise Closed
    return message
