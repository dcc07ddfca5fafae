"""Versioned schema: numbered SQL files under storage/migrations, applied in order.

Each file runs in its own transaction and is recorded in ``schema_migrations``,
so a database created by any earlier version is brought up to date on the next
write, and a failed migration leaves the previous version intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaError(RuntimeError):
    """The database was written by a newer or older mediawatch than this one."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise SchemaError(f"badly named migration file {path.name}")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def latest_version() -> int:
    return max((m.version for m in migrations()), default=0)


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Apply what is missing; returns the version the database is now at."""
    version = current_version(conn)
    latest = latest_version()
    if version > latest:
        raise SchemaError(
            f"database schema version {version} is newer than this mediawatch ({latest}); upgrade"
        )
    if version == 0:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    for m in migrations():
        if m.version <= version:
            continue
        conn.begin()
        try:
            conn.execute(m.sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [m.version, m.name, datetime.now(UTC).replace(tzinfo=None)],
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        version = m.version
    return version


def check_current(conn: duckdb.DuckDBPyConnection) -> None:
    """Readers cannot migrate; tell the user what to do instead of failing on SQL."""
    version, latest = current_version(conn), latest_version()
    if version < latest:
        raise SchemaError(
            f"database schema version {version} is older than this mediawatch ({latest}); "
            "any write (e.g. `mediawatch migrate`) upgrades it"
        )
    if version > latest:
        raise SchemaError(
            f"database schema version {version} is newer than this mediawatch ({latest})"
        )
