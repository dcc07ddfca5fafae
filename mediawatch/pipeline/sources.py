"""Local sources in batches of ``run.batch_size`` documents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from mediawatch.config import Settings
from mediawatch.ingest.local import iter_local
from mediawatch.records import Failure, RawDocument


def batches(
    sources: list[str], settings: Settings, read_at: datetime | None = None
) -> Iterator[tuple[list[RawDocument], list[Failure]]]:
    """Source items in batches of ``run.batch_size`` documents, with their failures;
    ``read_at`` is their fetch time (default: now), one for the whole run."""
    docs: list[RawDocument] = []
    failures: list[Failure] = []
    for item in iter_local(sources, settings.ingest, read_at):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            docs.append(item)
        if len(docs) >= settings.run.batch_size:
            yield docs, failures
            docs, failures = [], []
    if docs or failures:
        yield docs, failures


def is_web_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))
