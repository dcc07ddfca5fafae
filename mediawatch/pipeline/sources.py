"""Local sources in batches of ``run.batch_size`` documents.

A command reads its local sources once: the nothing-new check (mediawatch.nothing_new)
reads the first batch, and when that holds something new it leaves the batch, with the
reading where it stopped, for the flow run that follows in the same process (``keep``);
the flow's ``batches`` with the same sources, settings and fetch time takes it up instead
of reading the files again (a second or so for a few thousand pages)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime

from mediawatch.config import Settings
from mediawatch.ingest.local import iter_local
from mediawatch.records import Failure, RawDocument

Batch = tuple[list[RawDocument], list[Failure]]

_kept: dict[tuple[object, ...], Iterator[Batch]] = {}


def _key(sources: list[str], settings: Settings, read_at: datetime) -> tuple[object, ...]:
    return tuple(sources), repr(settings.ingest), settings.run.batch_size, read_at


def keep(
    sources: list[str], settings: Settings, read_at: datetime, first: Batch, rest: Iterator[Batch]
) -> None:
    """Leave a batch read already, and the reading of the rest, to the next ``batches``
    of the same sources, settings and fetch time in this process (one at a time)."""
    _kept.clear()
    _kept[_key(sources, settings, read_at)] = itertools.chain([first], rest)


def batches(
    sources: list[str],
    settings: Settings,
    read_at: datetime | None = None,
    first_read: Callable[[RawDocument], None] | None = None,
) -> Iterator[Batch]:
    """Source items in batches of ``run.batch_size`` documents, with their failures;
    ``read_at`` is their fetch time (default: now), one for the whole run. ``first_read``
    is given each document of the first batch as soon as it is read (the workers can
    start on them: ``mediawatch.prepare.stream_ahead``)."""
    if read_at is not None and (kept := _kept.pop(_key(sources, settings, read_at), None)):
        return kept
    return _read(sources, settings, read_at, first_read)


def _read(
    sources: list[str],
    settings: Settings,
    read_at: datetime | None,
    first_read: Callable[[RawDocument], None] | None = None,
) -> Iterator[Batch]:
    docs: list[RawDocument] = []
    failures: list[Failure] = []
    for item in iter_local(sources, settings.ingest, read_at):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            docs.append(item)
            if first_read is not None:
                first_read(item)
        if len(docs) >= settings.run.batch_size:
            first_read = None
            yield docs, failures
            docs, failures = [], []
    if docs or failures:
        yield docs, failures


def is_web_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))
