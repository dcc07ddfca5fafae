"""Which article came first, in SQL: the rule of mediawatch.times.lineage_key.

Each article counts at the latest moment its publication time allows (an exact time is
itself, a date the end of its day, a month the end of its month, an undated article its
fetch time); ties go to the finer precision, then the earlier fetch, then the lower id.
"""

from __future__ import annotations

from mediawatch.times import FETCHED_RANK, NO_TIME, PLAIN_TEXT, PRECISIONS


def story_precision(a: str = "a") -> str:
    """SQL for the precision the story clusterer sees (mediawatch.times.story_precision):
    NO_TIME for a web page that states no publication time."""
    return (
        f"(CASE WHEN {a}.published_at IS NULL AND {a}.extractor <> '{PLAIN_TEXT}'"
        f" THEN '{NO_TIME}' ELSE {a}.published_precision END)"
    )


def lineage_at(a: str = "a") -> str:
    """SQL for the moment an article counts at, for table alias ``a``."""
    return f"""(CASE
        WHEN {a}.published_at IS NULL THEN {a}.fetched_at
        WHEN {a}.published_precision = 'second' THEN {a}.published_at
        WHEN {a}.published_precision = 'minute'
            THEN date_trunc('minute', {a}.published_at) + INTERVAL 1 MINUTE
                 - INTERVAL 1 MICROSECOND
        WHEN {a}.published_precision = 'month'
            THEN date_trunc('month', {a}.published_at) + INTERVAL 1 MONTH
                 - INTERVAL 1 MICROSECOND
        WHEN {a}.published_precision = 'year'
            THEN date_trunc('year', {a}.published_at) + INTERVAL 1 YEAR
                 - INTERVAL 1 MICROSECOND
        ELSE date_trunc('day', {a}.published_at) + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND
    END)"""


def precision_rank(a: str = "a") -> str:
    """SQL for the tie-break rank of the precision (finer first; undated last)."""
    cases = " ".join(f"WHEN '{p}' THEN {i}" for i, p in enumerate(PRECISIONS))
    day = PRECISIONS.index("day")
    return (
        f"(CASE WHEN {a}.published_at IS NULL THEN {FETCHED_RANK}"
        f" ELSE CASE {a}.published_precision {cases} ELSE {day} END END)"
    )


def lineage_order(a: str = "a") -> str:
    """An ORDER BY list: first published first."""
    return f"{lineage_at(a)}, {precision_rank(a)}, {a}.fetched_at, {a}.article_id"


def lineage_struct(a: str = "a") -> str:
    """The same order as one comparable value (for arg_min)."""
    return f"({lineage_at(a)}, {precision_rank(a)}, {a}.fetched_at, {a}.article_id)"
