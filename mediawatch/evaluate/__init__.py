"""Evaluations against labelled data in ../shared/data: extraction, duplicates, stories."""

from __future__ import annotations

import os
from pathlib import Path

from mediawatch.config import PROJECT_ROOT


class DataMissing(FileNotFoundError):
    """The evaluation data is not on this machine; the message says where it was looked for."""


def shared_data(override: str | Path | None = None) -> Path:
    """Where the evaluation corpora live: --data, $MEDIAWATCH_SHARED_DATA or ../shared/data."""
    return Path(
        override
        or os.environ.get("MEDIAWATCH_SHARED_DATA")
        or PROJECT_ROOT.parent / "shared" / "data"
    )
