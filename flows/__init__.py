"""Prefect flows: orchestration only (tasks, retries, schedules); the stage logic
lives in plain functions under ``mediawatch``.

Importing this package sets Prefect's environment before Prefect itself is
imported: a project-local Prefect home, analytics and telemetry off, and a quiet
console (warnings only) while the logs that the Prefect UI shows are kept.
Variables already set by the user win.
"""

from __future__ import annotations

import os

from mediawatch.config import PROJECT_ROOT

_DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_ROOT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}

for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)
