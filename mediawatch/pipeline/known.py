"""Items stored before with the same content: nothing to extract again.

Light on imports (no extraction, no Prefect): a run that finds nothing new
(``mediawatch.nothing_new``) decides with this alone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mediawatch.config import ExtractSettings, Settings
from mediawatch.ingest.urls import url_key
from mediawatch.pipeline.db import open_reader
from mediawatch.records import Failure, RawDocument, raw_hash
from storage import articles as articles_db
from storage import rejected as rejected_db


def skip_known(docs: list[RawDocument], settings: Settings) -> tuple[list[RawDocument], int]:
    """Drop items stored before with the same content: (the others, how many dropped)."""
    if not docs or not settings.db_path.exists():
        return docs, 0
    with open_reader(settings) as conn:
        known = articles_db.known(conn, (url_key(d.url) for d in docs))
    fresh = [
        d for d in docs if (k := known.get(url_key(d.url))) is None or k.raw_hash != raw_hash(d)
    ]
    return fresh, len(docs) - len(fresh)


def extract_key(settings: ExtractSettings) -> str:
    """The extraction settings and code: a rejection stands only while they are the same
    (the extractor's files and trafilatura's, by size and time: any change re-extracts)."""
    import importlib.util

    h = hashlib.blake2b(repr(settings).encode(), digest_size=8)
    spec = importlib.util.find_spec("trafilatura")
    files = sorted((Path(__file__).parent.parent / "extract").glob("*.py"))
    if spec is not None and spec.origin:
        files.append(Path(spec.origin))
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        h.update(f"|{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


@dataclass
class Unchanged:
    """What a run's documents are against the database (``check``)."""

    fresh: list[RawDocument]  # new or changed: to extract
    stored: int  # stored before with the same content
    rejected: list[Failure]  # rejected before with the same content and settings
    todo: list[RawDocument] | None = None  # all but those stored unchanged (skip_known's)


def check(docs: list[RawDocument], settings: Settings) -> Unchanged:
    """``skip_known``, and the documents rejected before with the same content under the
    same extraction settings (their failure again, without extracting them)."""
    if not docs or not settings.db_path.exists():
        return Unchanged(list(docs), 0, [], list(docs))
    keys = {d.url: url_key(d.url) for d in docs}
    with open_reader(settings) as conn:
        known = articles_db.known(conn, keys.values())
        rejected = rejected_db.lookup(conn, keys.values())
    fresh: list[RawDocument] = []
    again: list[Failure] = []
    todo: list[RawDocument] = []
    stored = 0
    ek = extract_key(settings.extract)
    for d in docs:
        h = raw_hash(d)
        k = known.get(keys[d.url])
        if k is not None and k.raw_hash == h:
            stored += 1
            continue
        todo.append(d)
        if (
            k is None
            and (r := rejected.get(keys[d.url]))
            and (r.raw_hash, r.extract_key)
            == (
                h,
                ek,
            )
        ):
            again.append(Failure(d.origin, r.stage, r.reason, d.url, h))
        else:
            fresh.append(d)
    return Unchanged(fresh, stored, again, todo)


def rejections(failures: list[Failure], settings: Settings) -> list[rejected_db.Rejected]:
    """The extraction failures to remember (those with a content hash and a URL)."""
    ek = extract_key(settings.extract)
    return [
        rejected_db.Rejected(url_key(f.url), f.raw_hash, ek, f.origin, f.url, f.stage, f.reason)
        for f in failures
        if f.raw_hash and f.url
    ]
