"""Running as a service: `server` (the project's Prefect server), `serve` (the schedules)
and `ui` (the web inspector). Registered by mediawatch.cli."""

from __future__ import annotations

import argparse

from mediawatch.cli_common import (
    EXIT_ERROR,
    EXIT_OK,
    CommandError,
    settings_of,
)
from mediawatch.write_cli import check_database


def cmd_server(args: argparse.Namespace) -> int:
    """The project's Prefect server in the background: start, stop, status."""
    from mediawatch import service

    settings = settings_of(args)
    if args.action == "start":
        state = service.start(settings)
        print(f"Prefect server running at {state.url} (pid {state.pid}; log {state.log})")
        print(f"  the Prefect UI:  {state.url}/")
        print("  next:            mediawatch serve   (runs the schedules in the settings)")
        print("  one-shot runs (mediawatch run, ingest) report to it while it runs")
        return EXIT_OK
    if args.action == "stop":
        state = service.stop()
        print(f"stopped the Prefect server (pid {state.pid})" if state else "no server running")
        return EXIT_OK
    status = service.status(settings)
    print(status.message)
    return EXIT_OK if status.healthy and status.running else EXIT_ERROR


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the scheduled flows from the settings with Prefect's serve, until interrupted."""
    import os

    from mediawatch import service

    settings = settings_of(args)
    url = service.api_url(settings)
    if not os.environ.get("PREFECT_API_URL") and not service.healthy(url.removesuffix("/api")):
        raise CommandError(
            f"no Prefect server answers at {url.removesuffix('/api')}: start one with "
            "`mediawatch server start` (or set PREFECT_API_URL)"
        )
    os.environ["PREFECT_API_URL"] = url  # before Prefect is imported
    from mediawatch.background import hold

    hold(service.prefect_home())  # a background server does not stop while serve runs
    check_database(settings)
    from flows.service import serve_schedules

    print(f"serving the schedules of {args.config or 'the settings'} into {settings.db_path}")
    print(f"  runs, logs and artifacts: {url.removesuffix('/api')}/deployments  (Ctrl-C stops)")
    serve_schedules(settings, args.config, args.names)
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    from mediawatch.web.server import serve

    settings = settings_of(args)
    if not settings.db_path.exists():
        from storage.connection import NoDatabase

        raise NoDatabase(
            f"no database at {settings.db_path}: run `mediawatch ingest` or `make run` first"
        )
    return serve(settings, host=args.host, port=args.port, edit=args.edit)
