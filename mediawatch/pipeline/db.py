"""The pipeline's handles on the database: a run's reads wait as long as its writes."""

from __future__ import annotations

from datetime import UTC, datetime

from mediawatch.config import Settings
from storage.connection import reader, writer


def utcnow() -> datetime:
    """Naive UTC, as the database stores times."""
    return datetime.now(UTC).replace(tzinfo=None)


def open_writer(settings: Settings):
    """The writer, waiting up to ``storage.writer_wait_seconds`` for another run's batch."""
    return writer(settings.db_path, wait=settings.storage.writer_wait_seconds)


def open_reader(settings: Settings):
    """A run's own reads wait as long as its writes would: another run storing a batch
    is no reason to fail."""
    s = settings.storage
    return reader(settings.db_path, wait=max(s.reader_wait_seconds, s.writer_wait_seconds))
