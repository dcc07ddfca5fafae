"""Decompressing untrusted gzip without trusting its size: a local file and a feed body
share the same limit check."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path

# How much a compressed list may expand, at most, beyond the one-file limit: text
# compresses 3 to 10 times; far more (gzip reaches 1,000) is a decompression bomb.
MAX_RATIO = 100


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


class Unreadable(ValueError):
    """A list file that cannot be read on: what came before it stands."""


def lines(path: Path, line_limit: int) -> Iterator[bytes | ValueError]:
    """The lines of a list file (JSONL), a ``.gz`` one decompressed as it is read.

    A list is never held whole, so its total size is free, but no line may pass
    ``line_limit`` (it becomes a ValueError in its place and is skipped); a ``.gz``
    file may expand to ``MAX_RATIO`` times its size (or ``line_limit``, if more) and must
    decompress cleanly: else Unreadable, after the lines read so far.
    """
    packed = path.suffix.lower() == ".gz"
    budget = max(line_limit, MAX_RATIO * path.stat().st_size) if packed else None
    total = 0
    with gzip.open(path, "rb") if packed else path.open("rb") as fh:
        while True:
            try:
                line = fh.readline(line_limit + 1)
                total += len(line)
                long = len(line) > line_limit
                rest = line
                while long and rest and not rest.endswith(b"\n"):  # skip the rest of it
                    if budget is not None and total > budget:
                        break
                    rest = fh.readline(1 << 20)
                    total += len(rest)
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise Unreadable(f"not a readable gzip file ({exc})") from None
            if budget is not None and total > budget:
                raise Unreadable(
                    f"uncompressed size is over the limit of {budget:,} bytes "
                    f"({MAX_RATIO} times the compressed file)"
                )
            if not line:
                return
            if long:
                yield ValueError(
                    f"line is over the limit of {line_limit:,} bytes (ingest.max_file_bytes)"
                )
            else:
                yield line


def read_list(path: Path, limit: int) -> bytes:
    """A whole list file (CSV) as bytes; a ``.gz`` one may expand to ``MAX_RATIO`` times
    its size, or ``limit`` if more (ValueError otherwise, or when it is unreadable)."""
    data = path.read_bytes()
    if path.suffix.lower() != ".gz":
        return data
    return gunzip_bounded(data, max(limit, MAX_RATIO * len(data)))
