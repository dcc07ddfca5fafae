"""Evaluations against labelled data in ../shared/data: extraction, duplicates, stories,
multilingual pairs, an open stream."""

from __future__ import annotations

import os
import unicodedata
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


def shown(text: str | None, width: int = 60) -> str:
    """Text from the outside world made safe for one terminal line: control and format
    characters (escape sequences, bidi overrides) become spaces."""
    if not text:
        return "(no title)"
    clean = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= width else clean[: width - 1] + "…"
