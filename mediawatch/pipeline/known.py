"""Items stored before with the same content: nothing to extract again.

Light on imports (no extraction, no Prefect): a run that finds nothing new
(``mediawatch.nothing_new``) decides with this alone."""

from __future__ import annotations

from mediawatch.config import Settings
from mediawatch.ingest.urls import url_key
from mediawatch.pipeline.db import open_reader
from mediawatch.records import RawDocument, raw_hash
from storage import articles as articles_db


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
