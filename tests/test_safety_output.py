"""Rough edges a new user meets: output in words and plurals, tables that fit 80 columns
and use 200, timestamps with their zone, no library warnings in the run's output, and
exports a program can read as they say: the same bytes to a file or standard output,
exact in a file or a pipe, plain text on a terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mediawatch.cli import main
from mediawatch.safe_text import plain

from .conftest import ROOT, SEEDS
from .corpus import ingested
from .terminal import in_terminal

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


ESC, BEL = "\x1b", "\x07"
ESCAPED_TITLE = (
    f"Harbour {ESC}]52;c;aGk={BEL}clip {ESC}[2J\u202ereversed "
    f"{ESC}]8;;https://evil.example/{BEL}link{ESC}]8;;{BEL} \x9b31mred"
)
HARBOUR = (
    "The harbour fire in Quillmouth destroyed three warehouses on Monday night, the fire "
    "brigade said, and more than forty firefighters worked until dawn to stop the flames."
)
COUNCIL = (
    "The Portmeade council voted on Tuesday to rebuild the marathon route along the river, "
    "after runners complained about the cobbles and the narrow bridge at the old mill."
)
ESCAPED = [  # a date-only value and a time with an offset: both must come out in UTC
    {
        "url": "https://quill.example/fire",
        "title": ESCAPED_TITLE,
        "text": f"{HARBOUR}\n{ESC}[2J{ESC}]52;c;aGk={BEL}\u202e{HARBOUR}",
        "published_at": "2026-02-25",
        "source": f"Quill {ESC}[31mWire",
    },
    {
        "url": "https://harbour.example/vote",
        "title": "Portmeade rebuilds the marathon route",
        "text": COUNCIL,
        "published_at": "2026-02-25T10:12:00+01:00",
        "source": "Harbour Post",
    },
]
FROM_THE_DATA = (b"\x1b]52", b"\x1b]8", b"\x1b[2J", b"\x1b[31m", b"\x07", "\x9b".encode())


@pytest.fixture(scope="module")
def escapes_db(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested(tmp_path_factory.mktemp("escapes"), "escapes", ESCAPED)


def _stdout_bytes(*args: str) -> bytes:
    """`mediawatch ARGS` into a pipe: its standard output byte for byte (no newline
    translation, which would hide a carriage return from the data)."""
    result = subprocess.run(
        [sys.executable, "-m", "mediawatch.cli", *args],
        cwd=ROOT, capture_output=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("to", [[], ["-o", "/dev/stdout"]], ids=["stdout", "-o /dev/stdout"])
def test_a_csv_export_on_a_terminal_is_plain_text(escapes_db: Path, to: list[str]) -> None:
    """A terminal obeys escape sequences in stored titles and texts (clipboard writes,
    clearing, hyperlinks): CSV shown there is made plain like every command's output."""
    out = in_terminal(["export", "--db", str(escapes_db), "--format", "csv", *to])
    for sequence in FROM_THE_DATA:
        assert sequence not in out, sequence
    assert "\u202e".encode() not in out
    assert plain(ESCAPED_TITLE).encode() in out  # the text itself is still shown
    assert b"2026-02-25T09:12:00+00:00" in out


def test_a_json_export_on_a_terminal_escapes_what_a_terminal_obeys(escapes_db: Path) -> None:
    """JSON needs no cleaning for a terminal: controls and direction overrides are \\u
    escapes there as everywhere, so the title read back is the stored one, exactly."""
    out = in_terminal(["export", "--db", str(escapes_db), "--format", "jsonl"])
    for sequence in (*FROM_THE_DATA, "\u202e".encode()):
        assert sequence not in out, sequence
    records = [json.loads(line) for line in out.decode("utf-8").splitlines()]
    assert ESCAPED_TITLE in {r["title"] for r in records}


def test_a_csv_export_to_a_pipe_or_a_file_is_exact(escapes_db: Path, tmp_path: Path) -> None:
    """An export is data: away from a terminal every character is kept, as JSON keeps it."""
    piped = _csv_rows(_stdout_bytes("export", "--db", str(escapes_db), "--format", "csv"))
    exact = [json.loads(x) for x in _stdout_bytes("export", "--db", str(escapes_db)).splitlines()]
    assert ESCAPED_TITLE in {r["title"] for r in piped}
    assert [r["text"] for r in piped] == [r["text"] for r in exact]
    assert any(ESC in r["text"] and "\u202e" in r["text"] for r in piped)
    assert main(["export", "--db", str(escapes_db), "-o", str(tmp_path / "a.csv")]) == 0
    assert _csv_rows((tmp_path / "a.csv").read_bytes()) == piped


@pytest.mark.parametrize(
    ("to", "refusal"),
    [
        ([], "parquet needs an output file: -o FILE"),
        (["-o", "/dev/stdout"], "/dev/stdout is a terminal: parquet needs a file to write to"),
    ],
    ids=["stdout", "-o /dev/stdout"],
)
def test_parquet_is_never_written_to_a_terminal(
    escapes_db: Path, to: list[str], refusal: str
) -> None:
    """Binary bytes on a terminal garble it: refused in one line, exit 1, nothing written."""
    with pytest.raises(AssertionError) as failed:  # in_terminal asserts the command succeeds
        in_terminal(["export", "--db", str(escapes_db), "--format", "parquet", *to])
    shown = str(failed.value)
    assert f"mediawatch: {refusal}" in shown and "PAR1" not in shown


def _zoned_times(record: dict) -> dict[str, str]:
    """A record's times (the columns named for one), each checked to be in UTC."""
    times = {
        k: v
        for k, v in record.items()
        if v is not None and (k == "date" or k.endswith(("_at", "_date", "_published")))
    }
    for value in times.values():
        assert datetime.fromisoformat(value).utcoffset() == timedelta(0), value
    return times


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_an_export_is_the_same_to_a_file_and_to_standard_output(
    escapes_db: Path, tmp_path: Path, fmt: str
) -> None:
    """One layout per format wherever it goes, and one way to write a time: ISO 8601 in
    UTC with its offset, as --json says it (a date-only value is midnight UTC)."""
    file = tmp_path / f"articles.{fmt}"
    assert main(["export", "--db", str(escapes_db), "-o", str(file)]) == 0
    piped = _stdout_bytes("export", "--db", str(escapes_db), "--format", fmt)
    assert file.read_bytes() == piped
    if fmt == "csv":
        records: list[dict] = [{k: v or None for k, v in r.items()} for r in _csv_rows(piped)]
    elif fmt == "json":
        records = json.loads(piped)
    else:
        records = [json.loads(line) for line in piped.splitlines()]
    published = {r["url"]: r["published_at"] for r in records}
    assert published == {
        "https://quill.example/fire": "2026-02-25T00:00:00+00:00",
        "https://harbour.example/vote": "2026-02-25T09:12:00+00:00",
    }
    assert all(_zoned_times(r).keys() >= {"published_at", "fetched_at"} for r in records)


def test_exported_times_match_the_json_of_the_read_commands(
    escapes_db: Path, tmp_path: Path
) -> None:
    """Stories and memberships write their times as `stories --json` does, to the character."""
    listed = json.loads(mediawatch("stories", "--db", str(escapes_db), "--json").stdout)
    stories = tmp_path / "stories.json"
    assert main(["export", "--db", str(escapes_db), "--what", "stories", "-o", str(stories)]) == 0
    exported = {s["story_id"]: s for s in json.loads(stories.read_text(encoding="utf-8"))}
    assert len(listed) == len(exported) == 2
    for story in listed:
        assert exported[story["story_id"]]["first_date"] == story["first_date"]
        assert exported[story["story_id"]]["last_date"] == story["last_date"]
        assert len(_zoned_times(exported[story["story_id"]])) == 6
    members = tmp_path / "members.jsonl"
    assert main(["export", "--db", str(escapes_db), "--what", "members", "-o", str(members)]) == 0
    for line in members.read_text(encoding="utf-8").splitlines():
        assert _zoned_times(json.loads(line)).keys() == {"date", "joined_at"}
