"""Decompressing untrusted gzip without trusting its size: a local file and a feed body
share the same limit check."""

from __future__ import annotations

import gzip
import io


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """The uncompressed bytes, or ValueError when unreadable or over ``limit`` bytes
    (a small archive can expand to gigabytes: read at most one byte past the limit)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            out = gz.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise ValueError(f"not a readable gzip file ({exc})") from None
    if len(out) > limit:
        raise ValueError(f"uncompressed size is over the limit of {limit:,} bytes")
    return out
