"""The DuckDB layer: versioned schema, atomic batches, one writer and waiting readers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from storage.connection import DatabaseBusy, reader, transaction, writer
from storage.migrate import SchemaError, current_version, latest_version, migrations

from .conftest import ROOT


def test_new_database_gets_every_migration_once(db_path: Path) -> None:
    with writer(db_path) as conn:
        assert current_version(conn) == latest_version() == migrations()[-1].version
    with writer(db_path) as conn:  # a second open applies nothing again
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == [m.version for m in migrations()]


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    with writer(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")
    with pytest.raises(SchemaError, match="newer"), writer(db_path):
        pass
    with pytest.raises(SchemaError, match="newer"), reader(db_path):
        pass


def test_a_failed_transaction_leaves_the_previous_state(db_path: Path) -> None:
    with writer(db_path) as conn, transaction(conn):
        conn.execute("INSERT INTO pipeline_state VALUES ('probe', 1)")
    with pytest.raises(duckdb.ConstraintException), writer(db_path) as conn, transaction(conn):
        conn.execute("UPDATE pipeline_state SET value = 2 WHERE name = 'probe'")
        conn.execute("INSERT INTO pipeline_state VALUES ('probe', 3)")  # duplicate key
    with reader(db_path) as conn:
        assert (
            conn.execute("SELECT value FROM pipeline_state WHERE name = 'probe'").fetchone()[0] == 1
        )


HOLD = """
import sys, time
from storage.connection import writer
with writer(sys.argv[1]) as conn:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_writer(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_reader_waits_for_a_writer_in_another_process(db_path: Path) -> None:
    with writer(db_path):
        pass
    proc = _hold_writer(db_path, 1.5)
    started = time.monotonic()
    with reader(db_path, wait=30) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    waited = time.monotonic() - started
    proc.wait(timeout=30)
    assert waited > 0.5  # it really had to wait for the other process


def test_a_second_writer_queues_and_gives_up_clearly(db_path: Path) -> None:
    with writer(db_path):
        pass
    proc = _hold_writer(db_path, 3)
    with pytest.raises(DatabaseBusy, match="another mediawatch run"), writer(db_path, wait=0.5):
        pass
    with writer(db_path, wait=30) as conn:  # waits its turn, then works
        conn.execute("SELECT 1")
    proc.wait(timeout=30)


def test_a_version_1_database_is_upgraded_and_keeps_its_rows(db_path: Path) -> None:
    first = migrations()[0]
    conn = duckdb.connect(str(db_path))
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL)"
    )
    conn.execute(first.sql)
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'initial', now())")
    conn.execute(
        "INSERT INTO articles (article_id, url, url_key, text_hash, word_count, extractor,"
        " fetched_at, date, run_id, stored_at) VALUES (1, 'https://a.example/x', 'a.example/x',"
        " 'h', 3, 'plain-text', now(), now(), 1, now())"
    )
    conn.close()
    with writer(db_path) as conn:
        assert current_version(conn) == latest_version()
        assert conn.execute("SELECT url, summary FROM articles").fetchall() == [
            ("https://a.example/x", None)
        ]
        assert conn.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0
