"""`mediawatch ui`: the inspector on a local port, loopback unless told otherwise."""

from __future__ import annotations

import socket
import sys

from mediawatch.config import Settings
from mediawatch.web.app import LOOPBACK, create_app


def _bind(host: str, port: int) -> socket.socket:
    """Bind first, so the URL printed names the real port (``--port 0`` picks one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(2048)  # listening before the URL is printed: no refused first connection
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8765, edit: bool = False) -> int:
    import uvicorn

    loopback = host in LOOPBACK or host.startswith("127.")
    try:
        sock = _bind(host, port)
    except OSError as exc:
        print(f"mediawatch: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    if not loopback:
        print(
            f"mediawatch: listening on {host}, not loopback: anyone who can reach this "
            "machine can read the archive",
            file=sys.stderr,
        )
    app = create_app(
        settings,
        allowed_hosts=["127.0.0.1", "localhost", "::1", "[::1]", host] if loopback else None,
        edit=edit,
    )
    mode = "corrections allowed (--edit)" if edit else "read-only"
    print(f"mediawatch inspector on http://{shown}:{bound}/ ({mode}; Ctrl-C stops)", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
