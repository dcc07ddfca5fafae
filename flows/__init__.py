"""Prefect flows: orchestration only (tasks, retries, schedules); the stage logic
lives in plain functions under ``mediawatch``.

Importing this package sets Prefect's environment before Prefect itself is
imported: a project-local Prefect home, analytics and telemetry off, a quiet
console (warnings only) while the logs that the Prefect UI shows are kept, and
Prefect's own database (``.prefect/prefect.db``) kept from growing without bound:
its vacuum service (hourly, in the server `mediawatch server start` runs and in
the temporary one a one-shot run starts) deletes flow runs that ended more than
30 days ago with their logs and artifacts, and events older than 7 days.
Variables already set by the user win.
"""

from __future__ import annotations

import os

from mediawatch import interrupt
from mediawatch.config import PROJECT_ROOT

_DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_ROOT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    # Prefect's database: delete old flow runs (and their logs and artifacts) and events.
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": "P30D",
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": "P7D",
}

for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)

# A flow run that `mediawatch serve` started leaves Ctrl-C to serve from the moment its
# flow is loaded (mediawatch.interrupt.reclaim explains why).
interrupt.leave_ctrl_c_to_serve()
