"""Local sources: folders, single files, JSONL and CSV article lists.

Items are yielded lazily so a run holds one batch in memory, however large the
source. Every item that cannot be used becomes a Failure with a reason a person
can act on; the remaining items go on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediawatch.config import IngestSettings
from mediawatch.ingest import gzipped
from mediawatch.ingest.gzipped import gunzip_bounded
from mediawatch.records import Failure, RawDocument
from mediawatch.times import Stamp, parse_iso

RECORD_FIELDS = ("url", "title", "text", "html", "published_at", "source")


class SourceError(ValueError):
    """A source that cannot be read at all (the run should not start)."""


def check_sources(paths: list[str]) -> None:
    """Refuse missing paths before anything runs, with one clear message."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise SourceError(f"no such file or folder: {', '.join(missing)}")


def left_out(paths: list[str], settings: IngestSettings) -> list[Path]:
    """Files of the folders given that ``iter_local`` does not read (kinds it does not
    know: a PDF, a Word file, JSON), in a stable order; hidden ones and a folder's
    README or LICENSE aside."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            continue  # a file named on its own is read, or recorded as a failure
        unread = (f for f in _folder_files(path) if _kind(f, settings) is None)
        found.extend(f for f in unread if not _ABOUT.match(f.name))
    return found


def empty_folders(paths: list[str], settings: IngestSettings) -> list[Path]:
    """The folders given that hold no file ``iter_local`` reads (none at all, or only
    files of other kinds): a run of them reads nothing, which deserves a word."""
    return [
        Path(raw)
        for raw in paths
        if Path(raw).is_dir()
        and not any(_kind(f, settings) is not None for f in _unsorted_files(Path(raw)))
    ]


def _unsorted_files(folder: Path) -> Iterator[Path]:
    """A folder's files, recursively, hidden ones left out, as the disk lists them."""
    for p in folder.rglob("*"):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts):
            yield p


def _folder_files(folder: Path) -> list[Path]:
    """A folder's files, recursively and in a stable order, hidden ones left out."""
    return sorted(_unsorted_files(folder))


# A folder's own documentation (README, LICENSE): not read, and no surprise either.
_ABOUT = re.compile(r"(?i)(readme|licen[cs]e|copying)(\.\w+)?$")


def iter_local(
    paths: list[str], settings: IngestSettings, now: datetime | None = None
) -> Iterator[RawDocument | Failure]:
    """Yield the documents (or failures) of every local path, in a stable order."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    for path in _files(paths, settings):
        yield from _iter_file(path, settings, now)


def _files(paths: list[str], settings: IngestSettings) -> Iterator[Path]:
    """The files behind the paths, in a stable order: folders recursively (known kinds,
    hidden files left out), files as given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from (f for f in _folder_files(path) if _kind(f, settings) is not None)
        else:
            yield path


def count_items(paths: list[str], settings: IngestSettings) -> int:
    """About how many items ``iter_local`` will yield (for progress): one per page or
    text file, one per non-blank line of a JSONL list or CSV row (header aside)."""
    n = 0
    for path in _files(paths, settings):
        kind = _kind(path, settings)
        if kind not in ("jsonl", "csv") or not path.is_file():  # a pipe is read once only
            n += 1
            continue
        try:
            lines = sum(
                1
                for line in gzipped.lines(path, settings.max_file_bytes)
                if isinstance(line, ValueError) or line.strip()
            )
        except (OSError, ValueError):
            n += 1
            continue
        n += max(lines - (kind == "csv"), 1)
    return n


def _kind(path: Path, settings: IngestSettings) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    if suffix in settings.html_extensions:
        return "html"
    if suffix in settings.text_extensions:
        return "text"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return None


def _read_bytes(path: Path, limit: int) -> bytes:
    size = path.stat().st_size
    if size > limit:
        raise ValueError(
            f"file is {size:,} bytes, over the limit of {limit:,} (ingest.max_file_bytes)"
        )
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        data = gunzip_bounded(data, limit)
    return data


def _iter_file(
    path: Path, settings: IngestSettings, now: datetime
) -> Iterator[RawDocument | Failure]:
    origin = str(path)
    kind = _kind(path, settings)
    if kind is None:
        yield Failure(origin, "ingest", f"unsupported file type '{path.suffix}'")
        return
    if not path.is_file():  # named on its own: a folder's files are regular ones
        # a pipe would block the run until written to, a device never end (/dev/zero)
        yield Failure(origin, "ingest", "not a regular file (a pipe or a device): save it first")
        return
    if kind in ("jsonl", "csv"):
        yield from (_iter_jsonl if kind == "jsonl" else _iter_csv)(path, settings, now)
        return
    try:
        data = _read_bytes(path, settings.max_file_bytes)
    except (OSError, ValueError) as exc:
        yield Failure(origin, "ingest", str(exc))
        return
    if not data.strip():
        yield Failure(origin, "ingest", "empty file")
        return
    if looks_binary(data):
        yield Failure(origin, "ingest", "binary content, not text or HTML")
        return
    url = path.resolve().as_uri()
    if kind == "html":
        yield RawDocument(url=url, origin=origin, content=data, content_type="html", fetched_at=now)
        return
    try:
        text = decode_text(data)
        meta, text = split_front_matter(text)
        stamp = parse_published(meta.get("published_at") or meta.get("date"))
        yield RawDocument(
            url=meta.get("url") or url,
            origin=origin,
            content=text,
            content_type="text",
            fetched_at=now,
            title=meta.get("title") or None,
            published_at=stamp.at if stamp else None,
            published_precision=stamp.precision if stamp else None,
            source=meta.get("source") or None,
        )
    except ValueError as exc:
        yield Failure(origin, "ingest", str(exc), url)


# A '---' line, a block (possibly empty), a closing '---' line; Windows line ends too.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_OPENING = re.compile(r"\A---[ \t]*(?:\r?\n|\Z)")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
# What else YAML front matter holds: indented continuations, list items, comments.
_FRONT_MATTER_OTHER = re.compile(r"^(\s+\S|-(\s|$)|#)")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Read a leading '---' block of 'key: value' lines (as static-site Markdown has).

    Plain text has no other place for a publication date, source or URL. A leading
    '---' that opens no such block (never closed, or closing lines of prose) is a rule,
    not front matter: it is dropped and the text kept whole, so its first line is the
    title rather than '---' and no prose vanishes as metadata.
    """
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    block = (match[1] or "").splitlines() if match else []
    if match is None or not all(
        _FRONT_MATTER_LINE.match(line) or _FRONT_MATTER_OTHER.match(line) or not line.strip()
        for line in block
    ):
        opening = _OPENING.match(text)
        return {}, text[opening.end() :] if opening else text
    meta: dict[str, str] = {}
    for line in block:
        m = _FRONT_MATTER_LINE.match(line)
        if m:
            meta[m[1].lower()] = m[2].strip().strip("\"'")
    return meta, text[match.end() :]


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: an image, archive or executable."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text is full of NULs
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROLS))
    return controls > len(head) * 0.05


_CONTROLS = bytes(b for b in range(32) if b < 9 or b > 13)  # not tab, newlines, form feed


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM) first, then detection."""
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise ValueError("text in an unknown encoding (not UTF-8, and detection failed)")
    # Short texts fit several single-byte code pages equally well; among the
    # equally good, windows-1252 is the web's default for unlabelled text.
    least_chaos = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos == least_chaos]
    best = next((m for m in tied if m.encoding == "cp1252"), tied[0])
    return str(best)


def parse_published(value: object) -> Stamp | None:
    """An ISO 8601 date or time as given by the user: converted to UTC when it has a zone
    (taken as UTC when it has none), with its precision (mediawatch.times)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"published_at must be an ISO date string, got {value!r}")
    stamp = parse_iso(value, plausible=False)
    if stamp is None:
        raise ValueError(f"published_at is not an ISO date: {value!r}")
    # An archive may reach back centuries, but not to the year 1, and nothing is
    # published years ahead: such a value is a mistake (and would overflow the dates
    # the matching window is computed from).
    latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=366)
    if stamp.at.year < USER_MIN_YEAR or stamp.at > latest:
        raise ValueError(
            f"published_at {value!r} is out of range (years {USER_MIN_YEAR} to "
            f"{latest.year}): a mistake in the data?"
        )
    return stamp


#: The earliest publication year a user may give (older archives are digitised papers).
USER_MIN_YEAR = 1000


def _shown(value: object, limit: int = 60) -> str:
    """A value in a failure's reason: its repr, cut short (a reason is one line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_to_document(record: dict, origin: str, now: datetime, limit: int) -> RawDocument:
    """One JSONL line or CSV row as a document; ValueError names what is wrong.

    Every field is text or absent (null): a list, number or boolean is a mistake in the
    data, refused with its field named rather than stored as its Python spelling.
    """
    for name in RECORD_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            what = "an ISO date string" if name == "published_at" else "a string"
            raise ValueError(f"'{name}' must be {what}, got {type(value).__name__} {_shown(value)}")
    url = (record.get("url") or "").strip()
    if not url:
        raise ValueError("missing 'url'")
    html, text = record.get("html"), record.get("text")
    body = html if html not in (None, "") else text
    if body in (None, ""):
        raise ValueError("neither 'text' nor 'html' is given")
    if len(body.encode("utf-8", errors="replace")) > limit:
        raise ValueError(
            f"record is over the size limit of {limit:,} bytes (ingest.max_file_bytes)"
        )
    title = (record.get("title") or "").strip() or None
    source = (record.get("source") or "").strip() or None
    stamp = parse_published(record.get("published_at"))
    return RawDocument(
        url=url,
        origin=origin,
        content=body,
        content_type="html" if html not in (None, "") else "text",
        fetched_at=now,
        title=title,
        published_at=stamp.at if stamp else None,
        published_precision=stamp.precision if stamp else None,
        source=source,
    )


def _iter_records(
    rows: Iterator[tuple[int, dict | Exception]],
    path: Path,
    settings: IngestSettings,
    now: datetime,
) -> Iterator[RawDocument | Failure]:
    seen: dict[str, int] = {}
    for line_no, row in rows:
        origin = f"{path}:{line_no}"
        if isinstance(row, Exception):
            yield Failure(origin, "ingest", str(row))
            continue
        try:
            doc = record_to_document(row, origin, now, settings.max_file_bytes)
        except ValueError as exc:
            url = row.get("url")
            yield Failure(origin, "ingest", str(exc), url if isinstance(url, str) and url else None)
            continue
        if doc.url in seen:
            yield Failure(
                origin, "ingest", f"duplicate url, already on line {seen[doc.url]}", doc.url
            )
            continue
        seen[doc.url] = line_no
        yield doc


def _iter_jsonl(
    path: Path, settings: IngestSettings, now: datetime
) -> Iterator[RawDocument | Failure]:
    blank = True  # no line with anything on it: an empty file, as an empty .txt is

    def rows() -> Iterator[tuple[int, dict | Exception]]:
        nonlocal blank
        for line_no, line in enumerate(gzipped.lines(path, settings.max_file_bytes), start=1):
            if isinstance(line, ValueError):
                blank = False
                yield line_no, line
                continue
            if not line.strip():
                continue
            blank = False
            try:  # a byte-order mark opening the file is no part of the first record
                record = json.loads(line.decode("utf-8-sig" if line_no == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield line_no, ValueError("line is not valid UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield line_no, ValueError(f"malformed JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(record, dict):
                yield line_no, ValueError("line is not a JSON object")
                continue
            yield line_no, record

    try:
        yield from _iter_records(rows(), path, settings, now)
    except OSError as exc:
        yield Failure(str(path), "ingest", f"cannot read file ({exc.strerror or exc})")
        return
    except gzipped.Unreadable as exc:  # the lines before it stand
        yield Failure(str(path), "ingest", str(exc))
        return
    if blank:
        yield Failure(str(path), "ingest", "empty file")


def _iter_csv(
    path: Path, settings: IngestSettings, now: datetime
) -> Iterator[RawDocument | Failure]:
    csv.field_size_limit(max(settings.max_file_bytes, 131072))
    try:
        text = decode_text(gzipped.read_list(path, settings.max_file_bytes))
    except OSError as exc:
        yield Failure(str(path), "ingest", f"cannot read file ({exc.strerror or exc})")
        return
    except ValueError as exc:  # the whole file, not a row: its path alone names it
        yield Failure(str(path), "ingest", str(exc))
        return
    if not text.strip():  # not "no 'url' column": there is no header at all
        yield Failure(str(path), "ingest", "empty file")
        return

    def rows() -> Iterator[tuple[int, dict | Exception]]:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames or "url" not in [f.strip() for f in reader.fieldnames]:
            yield 1, ValueError("CSV header has no 'url' column")
            return
        seen = False
        while True:
            try:
                row = next(reader)
                seen = True
            except StopIteration:
                if not seen:  # a header and nothing under it: as good as an empty file
                    yield reader.line_num, ValueError("no rows under the CSV header")
                return
            except csv.Error as exc:
                yield reader.line_num, ValueError(f"malformed CSV row ({exc})")
                continue
            line_no = reader.line_num
            if None in row:
                yield line_no, ValueError("malformed CSV row (more fields than the header)")
                continue
            if any(v is None for v in row.values()):
                yield line_no, ValueError("malformed CSV row (fewer fields than the header)")
                continue
            yield line_no, {k.strip(): v for k, v in row.items()}

    yield from _iter_records(rows(), path, settings, now)
