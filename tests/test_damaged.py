"""Damaged database files, made here from a real one: cut to half its size, or 16 bytes
overwritten in the middle of the block that holds the articles' texts. Every command
says so in one line (no traceback), `check` reports it with exit 1, `ingest` and
`vacuum` refuse to write to it, and the inspector answers a page that says so."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import httpx
import pytest

from .conftest import SEEDS, mediawatch, ui_server

BLOCK_HEADER = 3 * 4096  # DuckDB: the file's headers, then its blocks


def _middle_of_the_texts(db: Path) -> int:
    """A byte in the middle of the articles' texts as stored (DuckDB's storage_info: the
    text segment's block and offset, up to the next segment in that block). DuckDB
    checksums the used part of a block: that is where damage shows."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        block_id, start = conn.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info('articles')"
            " WHERE column_name = 'text' AND segment_type = 'VARCHAR' AND block_id >= 0"
            " ORDER BY block_id, block_offset LIMIT 1"
        ).fetchone()
        size = conn.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        later = [
            r[0]
            for t in tables
            for r in conn.execute(
                "SELECT block_offset FROM pragma_storage_info(?) WHERE block_id = ?"
                " AND block_offset > ?",
                [t, block_id, start],
            ).fetchall()
        ]
    finally:
        conn.close()
    end = min(later, default=start + 2048)
    return BLOCK_HEADER + block_id * size + 8 + (start + end) // 2


@pytest.fixture(params=["cut-to-half", "overwritten"])
def damaged(request, inspect_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / f"{request.param}.duckdb"
    shutil.copy(inspect_db, db)
    if request.param == "cut-to-half":
        os.truncate(db, db.stat().st_size // 2)
    else:
        offset = _middle_of_the_texts(db)
        with open(db, "r+b") as fh:
            fh.seek(offset)
            fh.write(b"\xa5" * 16)
    return db


def _one_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_check_reports_the_damage_with_exit_1(damaged: Path) -> None:
    result = mediawatch("check", "--db", str(damaged), env=dict(os.environ))
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith(f"mediawatch: {damaged} is damaged: ")
    assert "at byte " in line  # where DuckDB found it
    as_json = mediawatch("check", "--json", "--db", str(damaged), env=dict(os.environ))
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and "is damaged" in report["damaged"]


READ_COMMANDS = [
    ["stories"],
    ["dupes"],
    ["search", "market"],
    ["story", "1"],
    ["export"],
    ["explain", "1", "2"],
    ["diff", "1", "2"],
    ["runs"],
    ["failures"],
    ["feeds"],
]


def test_read_commands_say_so_in_one_line_when_they_meet_the_damage(damaged: Path) -> None:
    """A command that reads a damaged block says so; one that reads only whole blocks
    answers (`check` reads them all). Never a traceback, never an empty answer that
    hides the damage."""
    said = {}
    for args in READ_COMMANDS:
        result = mediawatch(*args, "--db", str(damaged), env=dict(os.environ))
        assert "Traceback" not in result.stdout + result.stderr, (args, result.stderr)
        if result.returncode != 0:
            assert result.returncode == 1
            line = _one_line(result)
            assert line.startswith(f"mediawatch: {damaged} is damaged: "), (args, line)
            said[args[0]] = line
        if args == ["dupes"]:
            assert "No duplicate groups yet." not in result.stdout
    assert "export" in said  # every article's text: it meets the damage


def test_export_gives_what_is_readable_and_names_what_is_not(
    damaged: Path, inspect_db: Path, tmp_path: Path
) -> None:
    """Column by column: every readable column whole, the unreadable ones empty and named
    in one line, exit 1 (the export is not the whole record)."""
    env = dict(os.environ)
    whole, saved = tmp_path / "whole.jsonl", tmp_path / "saved.jsonl"
    assert mediawatch("export", "-o", str(whole), "--db", str(inspect_db), env=env).returncode == 0
    result = mediawatch("export", "-o", str(saved), "--db", str(damaged), env=env)
    assert result.returncode == 1
    line = _one_line(result)
    assert line.startswith(f"mediawatch: {damaged} is damaged: exported ")
    assert f"articles to {saved} (jsonl) with what is readable; left empty, unreadable: " in line
    named = line.split("unreadable: ", 1)[1].split("; ")[0].split(", ")
    assert named and all(n.split(".")[0] in ("articles", "story_members", "dup_members")
                         for n in named)  # fmt: skip
    before = [json.loads(x) for x in whole.read_text(encoding="utf-8").splitlines()]
    after = [json.loads(x) for x in saved.read_text(encoding="utf-8").splitlines()]
    assert len(after) == len(before)  # every row, in the same order
    kept = emptied = 0
    for key in before[0]:
        values = [r[key] for r in after]
        if values == [r[key] for r in before]:
            kept += any(v is not None for v in values)
        else:  # an unreadable column: empty, never a wrong value
            assert all(v is None for v in values), key
            emptied += 1
    assert kept and emptied


def _untouched(db: Path):
    return db.stat().st_size, db.stat().st_mtime_ns


def test_ingest_and_vacuum_refuse_to_write_to_a_damaged_file(damaged: Path) -> None:
    before = _untouched(damaged)
    env = dict(os.environ)
    for args in (["ingest", str(SEEDS)], ["vacuum"], ["migrate"]):
        result = mediawatch(*args, "--db", str(damaged), env=env)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert _one_line(result).startswith(f"mediawatch: {damaged} is damaged: "), args
        assert _untouched(damaged) == before, args  # not grown, not rewritten
        assert not Path(str(damaged) + ".wal").exists(), args


def test_the_inspector_answers_a_page_that_says_the_file_is_damaged(damaged: Path) -> None:
    with ui_server(damaged) as base:
        response = httpx.get(base + "/article/1", timeout=30)
    assert response.status_code == 503
    assert "The database file is damaged" in response.text
    assert "restore the last good copy" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
