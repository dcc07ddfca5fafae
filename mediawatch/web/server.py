"""`mediawatch ui`: the inspector on a local port, loopback unless told otherwise."""

from __future__ import annotations

import socket
import sys
import warnings

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
    line = f"mediawatch inspector on http://{shown}:{bound}/ ({mode}; Ctrl-C stops)"

    class Announcing(uvicorn.Server):
        """Says where it listens once it serves, when Ctrl-C is already uvicorn's to handle."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if not self.should_exit:
                print(line, flush=True)

    # A Ctrl-C before uvicorn's loop runs leaves its serve() coroutine unawaited; the
    # interrupt itself is reported in one line, so Python's warning about it is noise.
    unawaited = r"coroutine 'Server\.serve' was never awaited"
    warnings.filterwarnings("ignore", unawaited, RuntimeWarning)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    Announcing(config).run(sockets=[sock])
    return 0
