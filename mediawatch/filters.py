"""Story filters from what a person types: the command line and the web page share them."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta

from mediawatch.search import parse_query
from storage.queries import StoryFilter

SORTS = ("size", "recent", "growth", "relevance")
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_GROWTH_HOURS = 24 * 366 * 100  # a century: any longer window counts every article
MAX_QUERY_CHARS = 500  # a search past this (a pasted page, a 10,000-word phrase) is refused


class FilterError(ValueError):
    """A filter value that cannot be understood; the message says what is expected."""


def now() -> datetime:
    """Stored timestamps are UTC without a zone; so is this."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_when(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """``2026-02-24``, ``2026-02-24T13:00`` (UTC) or a span back from now: ``24h``,
    ``7d``, ``30m``, ``2w``. A bare date as an upper bound means the end of that day."""
    if text is None or not text.strip():
        return None
    m = _RELATIVE.match(text)
    if m:
        try:
            return now() - timedelta(**{_UNITS[m[2].lower()]: float(m[1])})
        except (OverflowError, ValueError):
            raise FilterError(f"{text.strip()!r} reaches back before the year 1") from None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(
            f"cannot read the time {text!r}: use 2026-02-24, 2026-02-24T13:00, or 24h / 7d"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if end_of_day and len(text.strip()) == 10:
        value = datetime.combine(value.date(), time.max)
    return value


def check_query(text: str | None) -> str:
    """The search text if it is of a size to search for; its cost grows with its length."""
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        raise FilterError(
            f"the search is {len(text):,} characters long: at most {MAX_QUERY_CHARS} "
            "(a few words or a short quoted phrase)"
        )
    return text


def check_language(value: str | None) -> str | None:
    """A language filter: an ISO 639-1 code ("de", "zh") or "und" (not identified)."""
    if value is None or not value.strip():
        return None
    code = value.strip().lower()
    if not (code.isascii() and code.isalpha() and 2 <= len(code) <= 3):
        raise FilterError(f"a language is a code like de, zh or und, not {value!r}")
    return code


def check_count(value: int | None, name: str, *, zero: str = "all") -> int | None:
    """A --limit or --offset: 0 or more."""
    if value is not None and value < 0:
        raise FilterError(f"{name} must be 0 ({zero}) or more, not {value}")
    return value


def story_filter(
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    language: str | None = None,
    search: str | None = None,
    min_size: int | str | None = None,
    sort: str | None = None,
    growth_hours: float | str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> StoryFilter:
    """Checked filter values; searching sorts by relevance unless told otherwise."""
    query = parse_query(check_query(search)) if search and search.strip() else None
    sort = sort or ("relevance" if query else "size")
    if sort not in SORTS:
        raise FilterError(f"unknown sort {sort!r}: use {', '.join(SORTS)}")
    if sort == "relevance" and query is None:
        sort = "size"
    try:
        size = int(min_size) if min_size not in (None, "") else 1
        hours = float(growth_hours) if growth_hours not in (None, "") else 24.0
    except (ValueError, OverflowError):
        raise FilterError("minimum size and growth window must be numbers") from None
    if not math.isfinite(hours) or not 0 < hours <= MAX_GROWTH_HOURS:
        raise FilterError(
            f"the growth window must be more than 0 and at most {MAX_GROWTH_HOURS:,} hours"
        )
    lo, hi = parse_when(since), parse_when(until, end_of_day=True)
    if lo and hi and lo > hi:
        raise FilterError("the start of the time range is after its end")
    if hi is not None:
        try:
            hi - timedelta(hours=hours)  # the growth window ends at the end of the range
        except OverflowError:
            end = (until or "").strip()
            raise FilterError(
                f"the end {end!r} with a growth window of {hours:g} hours reaches "
                "back before the year 1: give a later end"
            ) from None
    return StoryFilter(
        since=lo,
        until=hi,
        source=source.strip() if source and source.strip() else None,
        language=check_language(language),
        search=query,
        min_size=min(max(1, size), 2**31 - 1),
        sort=sort,  # type: ignore[arg-type]
        growth_hours=hours,
        limit=limit,
        offset=max(0, offset),
    )
