"""Rough edges a new user meets: output in words and plurals, tables that fit 80 columns
and use 200, timestamps with their zone, no library warnings in the run's output, and
exports a program can read as they say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from mediawatch.cli import main

from .conftest import ROOT, SEEDS

SINGLE = SEEDS / "demo" / "singleton_portmeade_marathon.txt"


def mediawatch(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediawatch.cli", *args],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ingest_output_has_no_library_warning_and_a_wall_clock_start(tmp_path: Path) -> None:
    """A page trafilatura discards is one recorded failure, not a WARNING line; --json
    says when the run started as an ISO time with its zone (not a monotonic clock)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "empty.html").write_text(
        "<html><head><title>Empty</title></head><body><div></div></body></html>"
    )
    (folder / "brief.txt").write_text(SINGLE.read_text(encoding="utf-8"), encoding="utf-8")
    before = datetime.now().astimezone()
    result = mediawatch("ingest", str(folder), "--db", str(tmp_path / "x.duckdb"), "--json")
    assert result.returncode == 0, result.stderr
    assert "discarding data" not in result.stdout + result.stderr
    summary = json.loads(result.stdout)
    started = datetime.fromisoformat(summary["started"])
    assert started.tzinfo is not None
    assert before <= started <= datetime.now().astimezone()
    assert summary["new_articles"] == 1 and len(summary["failures"]) == 1
    assert summary["failures"][0]["stage"] == "extract"


def test_counts_are_said_with_plurals(prefect_harness, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["ingest", str(SINGLE), "--db", str(tmp_path / "one.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "1 item read, 1 new article, " in out
    assert "1 items" not in out and "1 new articles" not in out


def test_json_timestamps_carry_their_zone(inspect_db: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["stories", "--db", str(inspect_db), "--json", "--limit", "1"]) == 0
    story = json.loads(capsys.readouterr().out)[0]
    assert datetime.fromisoformat(story["first_date"]).utcoffset().total_seconds() == 0
    assert main(["runs", "--db", str(inspect_db), "--json"]) == 0
    run = json.loads(capsys.readouterr().out)[-1]
    assert datetime.fromisoformat(run["started_at"]).tzinfo is not None


def test_member_exports_nest_the_stored_decisions(inspect_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "members.json"  # .json: one JSON array, not JSON Lines
    assert main(["export", "--db", str(inspect_db), "--what", "members", "-o", str(out)]) == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(records, list) and len(records) >= 14
    copies = [r for r in records if r["relation"] in ("near_copy", "rewrite", "exact")]
    assert copies and all(isinstance(r["decision"], dict) for r in copies)
    assert all(isinstance(r["story_scores"], dict) for r in records if r["story_scores"])
    assert "thresholds" in copies[0]["decision"]
    lines = tmp_path / "members.jsonl"
    assert main(["export", "--db", str(inspect_db), "--what", "members", "-o", str(lines)]) == 0
    first = json.loads(lines.read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(first["story_scores"], dict)


def _largest_story(db: Path) -> int:
    result = mediawatch("stories", "--db", str(db), "--json", "--limit", "1")
    return json.loads(result.stdout)[0]["story_id"]


def test_story_output_speaks_words_not_codes(inspect_db: Path) -> None:
    story = _largest_story(inspect_db)
    out = mediawatch("story", str(story), "--db", str(inspect_db)).stdout
    for code in ("new:with-batch", "duplicate (", "attached (", "near_copy", "via"):
        assert code not in out, code
    assert "how it joined" in out
    assert "story origin" in out
    assert "started it with its batch" in out  # the seeds arrive in one batch
    assert "near copy" in out  # the largest seed story holds a copied article
    dupes = mediawatch("dupes", "--db", str(inspect_db)).stdout
    assert "original" in dupes and "via" not in dupes  # no column that is always "-"


def test_stories_fit_80_columns_and_use_200(inspect_db: Path) -> None:
    narrow = mediawatch("stories", "--db", str(inspect_db), columns=80).stdout
    lines = narrow.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if line.strip()[:1].isdigit()]
    assert len(rows) >= 7  # one line per story, no title broken over lines
    assert all("-" in row.split()[4] and len(row.split()[4]) == 10 for row in rows)  # dates whole
    wide = mediawatch("stories", "--db", str(inspect_db), columns=200).stdout
    titles = json.loads(mediawatch("stories", "--db", str(inspect_db), "--json").stdout)
    long = [s["title"] for s in titles if s["title"] and 60 < len(s["title"]) <= 100]
    assert long and all(t in wide for t in long)  # whole, not cut at 60
