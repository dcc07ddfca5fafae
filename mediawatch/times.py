"""Publication times: parsed with their time zone, kept as naive UTC, with their precision.

A page may say "2026-03-06T18:20:00+01:00", "Fri, 06 Mar 2026 17:20 GMT", "2026-03-06" or
only /2026/03/ in its URL. Each becomes a ``Stamp``: the instant in UTC without a zone (the
database convention, storage/migrations/0001) and how precise it is. A value without a time
(a date, a month) is not converted: it names a calendar day as the publisher gave it, and it
stays that day, compared as such.

Lineage order (which article came first: a story's and a duplicate group's origin, the
timeline) compares each article by the *latest moment its publication time allows*: an
exact time is itself, a date-only value is the end of its day, a month the end of its month,
and an undated article its fetch time (it was published by then). So a date-only page and a
page stamped 12:40 the same day tie on the day, and the tie goes to the exact time: that one
is known to be out at 12:40, the other is not. Remaining ties go to the finer precision, then
the earlier fetch, then the article stored first (lower id). ``storage.lineage`` holds the
same rule in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

Precision = Literal["second", "minute", "day", "month", "year"]
#: Finest first; the position is the tie-break rank (a finer value wins a tie).
PRECISIONS: tuple[str, ...] = ("second", "minute", "day", "month", "year")
#: Rank of an undated article, ordered by its fetch time: after every dated one it ties with.
FETCHED_RANK = len(PRECISIONS)
_EPSILON = timedelta(microseconds=1)

#: The extractor of text given as text (no page to search for a time).
PLAIN_TEXT = "plain-text"
#: What the story clusterer sees as the precision of a web page that states no
#: publication time. A page is searched everywhere (meta, JSON-LD, <time>, the URL,
#: htmldate), so one that states none is most likely evergreen (a recipe, a guide, a
#: product page): not an event in time. Text given without a time says nothing either way.
NO_TIME = "none"


def story_precision(
    published: datetime | None, precision: str | None, extractor: str
) -> str | None:
    """The precision the story clusterer sees: NO_TIME for a page that states no time."""
    if published is None and extractor != PLAIN_TEXT:
        return NO_TIME
    return precision


# Calendar values that are no publication time: before the web, or far in the future.
MIN_YEAR = 1990


@dataclass(frozen=True)
class Stamp:
    """A publication time: ``at`` in naive UTC (midnight of the day for a date-only value,
    the first of the month for a month) and how precise it is."""

    at: datetime
    precision: Precision

    def covers(self, other: Stamp) -> bool:
        """True if ``other`` falls in the period this (coarser or equal) stamp names."""
        return self.at <= other.at <= latest(self.at, self.precision)

    @property
    def iso(self) -> str:
        """The value as precise as it is: '2026-03-06', '2026-03-06T17:20:00Z'."""
        return format_stamp(self.at, self.precision)


def rank(precision: str | None) -> int:
    """Tie-break rank of a precision; unknown (legacy rows) counts as a date-only value."""
    if precision is None:
        return PRECISIONS.index("day")
    return PRECISIONS.index(precision) if precision in PRECISIONS else PRECISIONS.index("day")


def latest(at: datetime, precision: str | None) -> datetime:
    """The last microsecond of the period a value names (the value itself if exact)."""
    if precision == "second":
        return at
    if precision == "minute":
        return at.replace(second=0, microsecond=0) + timedelta(minutes=1) - _EPSILON
    if precision == "month":
        first = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = first.replace(year=first.year + 1, month=1) if first.month == 12 else None
        nxt = nxt or first.replace(month=first.month + 1)
        return nxt - _EPSILON
    if precision == "year":
        return at.replace(year=at.year + 1, month=1, day=1, hour=0, minute=0, second=0) - _EPSILON
    # day, and unknown precision (rows stored before precision was recorded)
    return at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1) - _EPSILON


def lineage_key(
    published: datetime | None, precision: str | None, fetched: datetime
) -> tuple[datetime, int, datetime]:
    """Sort key for "which came first" (see the module doc); append the article id."""
    if published is None:
        return fetched, FETCHED_RANK, fetched
    return latest(published, precision), rank(precision), fetched


def iso_utc(value: datetime) -> str:
    """A time as ISO 8601 with its UTC offset: a stored (naive) time is UTC, an aware
    one is converted. What `--json` and every export say."""
    at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return at.isoformat()


def format_stamp(at: datetime, precision: str | None) -> str:
    if precision == "year":
        return f"{at:%Y}"
    if precision == "month":
        return f"{at:%Y-%m}"
    if precision in ("day", None) and at.hour == at.minute == at.second == 0:
        return f"{at:%Y-%m-%d}"
    if precision == "minute":
        return f"{at:%Y-%m-%dT%H:%MZ}"
    return f"{at:%Y-%m-%dT%H:%M:%SZ}"


class Dated(Protocol):
    """What lineage order needs of an article (storage rows have these fields)."""

    article_id: int
    published_at: datetime | None
    published_precision: str | None
    fetched_at: datetime | None


def describe(published: datetime | None, precision: str | None) -> str:
    """A publication time for people, as precise as it is."""
    if published is None:
        return "no publication time"
    if precision == "month":
        return f"only the month {published:%Y-%m}"
    if precision == "year":
        return f"only the year {published:%Y}"
    if precision in ("day", None):
        return f"only the date {published:%Y-%m-%d}"
    if precision == "minute":
        return f"{published:%Y-%m-%d %H:%M} UTC"
    return f"{published:%Y-%m-%d %H:%M:%S} UTC"


def _describe_row(x: Dated) -> str:
    if x.published_at is None and x.fetched_at is not None:
        return f"no publication time, fetched {x.fetched_at:%Y-%m-%d %H:%M} UTC"
    return describe(x.published_at, x.published_precision)


def _period(x: Dated) -> tuple[datetime, datetime]:
    if x.published_at is None:
        return datetime.min, x.fetched_at or datetime.max  # out by the time it was fetched
    return x.published_at, latest(x.published_at, x.published_precision)


def _key(x: Dated) -> tuple[datetime, int, datetime]:
    return lineage_key(x.published_at, x.published_precision, x.fetched_at or datetime.min)


def first_note(first: Dated, second: Dated) -> str | None:
    """Why ``first`` goes before ``second`` when their publication times cannot tell them
    apart (None when ``first`` is simply earlier): the tie and the rule that broke it."""
    (s1, e1), (s2, e2) = _period(first), _period(second)
    if e1 < s2 or e2 < s1:
        return None  # one is earlier whatever the unknown part of either time is
    k1, k2 = _key(first), _key(second)
    d1, d2 = _describe_row(first), _describe_row(second)
    head = (
        f"article {first.article_id} ({d1}) and article {second.article_id} ({d2}) "
        "cannot be told apart by publication time"
    )
    if k1[0] != k2[0]:
        rule = (
            "a time counts at the end of the period it names (a date at the end of its day, a "
            "month at the end of its month, an undated article at its fetch time), so the one "
            "known to be out earlier goes first"
        )
    elif k1[1] != k2[1]:
        rule = "the more precise time goes first"
    elif k1[2] != k2[2]:
        rule = "the one fetched first goes first"
    else:
        rule = "the one stored first (lower article number) goes first"
    return f"{head}: {rule}"


# --------------------------------------------------------------------------- parsing

_ISO = re.compile(
    r"""^\s*(?P<y>\d{4})
        (?:-?(?P<m>\d{2})
          (?:-?(?P<d>\d{2})
            (?:[T\s]+(?P<H>\d{1,2}):?(?P<M>\d{2})
              (?::?(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?
              \s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?
            )?
          )?
        )?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def _plausible(at: datetime, now: datetime | None) -> bool:
    if at.year < MIN_YEAR:
        return False
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return at <= now + timedelta(days=2)  # a zone ahead of UTC, a scheduled item


def parse_iso(
    value: object, now: datetime | None = None, *, plausible: bool = True
) -> Stamp | None:
    """ISO 8601 / RFC 3339 / W3C datetime, from a month to fractions of a second.

    A time with a zone or offset is converted to UTC; a time without one is taken as UTC;
    a date or month is kept as the calendar value it names. None if not a date, or (with
    ``plausible``, for values found on pages and in feeds) before 1990 or more than two
    days after ``now``.
    """
    if not isinstance(value, str):
        return None
    m = _ISO.match(value)
    if not m:
        return None
    y, mo, d = int(m["y"]), int(m["m"] or 1), int(m["d"] or 1)
    try:
        if m["H"] is None:
            at = datetime(y, mo, d)
            precision: Precision = "day" if m["d"] else "month" if m["m"] else "year"
            # a bare "2026" or "202603" is more likely a number than a date
            if precision == "year" or (precision == "month" and "-" not in value):
                return None
        else:
            fraction = int((m["f"] or "0")[:6].ljust(6, "0"))
            at = datetime(y, mo, d, int(m["H"]), int(m["M"]), int(m["S"] or 0), fraction)
            precision = "second" if m["S"] else "minute"
            at = _to_utc(at, m["tz"])
    except (ValueError, OverflowError):
        return None
    return Stamp(at, precision) if not plausible or _plausible(at, now) else None


def _to_utc(at: datetime, tz: str | None) -> datetime:
    if not tz or tz.upper() in ("Z", "UTC", "GMT"):
        return at
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    if offset > timedelta(hours=14):
        raise ValueError("offset out of range")
    return at - sign * offset


_RFC822_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


def parse_rfc822(
    value: object, now: datetime | None = None, *, plausible: bool = True
) -> Stamp | None:
    """RSS's RFC 822 dates ('Fri, 06 Mar 2026 17:20:00 +0100'), to UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    clock = _RFC822_TIME.search(value)
    precision: Precision = "second" if clock and clock[1] else "minute"
    return Stamp(parsed, precision) if not plausible or _plausible(parsed, now) else None


def parse_time(
    value: object, now: datetime | None = None, *, plausible: bool = True
) -> Stamp | None:
    """An ISO 8601 value, else an RFC 822 one; None if neither."""
    return parse_iso(value, now, plausible=plausible) or parse_rfc822(
        value, now, plausible=plausible
    )


_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})[/_-]?(?P<m>0[1-9]|1[0-2])(?:[/_-]?(?P<d>0[1-9]|[12]\d|3[01]))?(?=/|$|[_-])"
)


def url_date(url: str | None, now: datetime | None = None) -> Stamp | None:
    """The date a URL's path carries: /2024/03/05/ (day), /2024/03/ (month)."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url.split("?", 1)[0].split("#", 1)[0], flags=re.I)
    m = _URL_DATE.search(path)
    if not m:
        return None
    try:
        at = datetime(int(m["y"]), int(m["m"]), int(m["d"] or 1))
    except ValueError:
        return None
    stamp = Stamp(at, "day" if m["d"] else "month")
    return stamp if _plausible(at, now) else None
