"""Numbers and settings a person mistypes: the inspector answers (never 500) with its
security headers, the command line says what is wrong in one line (never a traceback),
and every setting is checked for type and range wherever it comes from."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2; httpx (Prefect's) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mediawatch.cli import main
from mediawatch.config import ConfigError, Settings, StorageSettings, load_settings
from mediawatch.web import app as web

from .conftest import ROOT, SEEDS

# --- the inspector -------------------------------------------------------------------

# 3,000 words: as long as an address gets (httpx and uvicorn refuse much longer ones)
LONG_PHRASE = '"' + " ".join(["harbour", "council", "market"] * 1000) + '"'


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/", {"page": "9223372036854775807"}),
        ("/", {"page": "-3"}),
        ("/", {"since": "99999999d"}),
        ("/", {"until": "99999999w"}),
        ("/", {"until": "0001-01-01"}),  # its growth window would start before the year 1
        ("/", {"growth_hours": "nan", "sort": "growth"}),
        ("/", {"growth_hours": "inf", "sort": "growth"}),
        ("/", {"growth_hours": "1e308", "sort": "growth"}),
        ("/", {"min_size": "99999999999999999999999"}),
        ("/search", {"page": "-1", "q": "x"}),
        ("/search", {"page": "9223372036854775807", "q": "harbour"}),
        ("/search", {"q": LONG_PHRASE}),
        ("/", {"q": LONG_PHRASE}),
    ],
)
def test_odd_numbers_in_the_address_get_a_page_not_a_500(
    inspect_db: Path, path: str, params: dict[str, str]
) -> None:
    client = TestClient(web.create_app(load_settings(db=inspect_db)), raise_server_exceptions=False)
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-security-policy"] == web.CSP
    if "growth_hours" in params or "since" in params or "until" in params:
        assert 'class="error"' in response.text  # said, not silently ignored
    if params.get("q") == LONG_PHRASE:
        assert "at most 500" in response.text


def test_an_unexpected_error_page_carries_the_security_headers(tmp_path: Path) -> None:
    """A database path that is a folder fails inside DuckDB: the page that says so has
    the same headers as every other page (Starlette's own 500 page has none)."""
    folder = tmp_path / "db-folder"
    folder.mkdir()
    app = web.create_app(Settings(storage=StorageSettings(db=str(folder))))
    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert response.status_code >= 500
    for name, value in web.SECURITY_HEADERS:
        assert response.headers[name.decode()] == value.decode()


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[feeds]\nmax_connections = 0\n", r"\[feeds\]\.max_connections = 0: must be 1 or more"),
        ("[run]\nbatch_size = 0\n", r"\[run\]\.batch_size = 0: must be 1 or more"),
        ("[run]\nbatch_size = -1\n", r"\[run\]\.batch_size = -1: must be 1 or more"),
        ("[feeds]\nmax_items = -1\n", r"\[feeds\]\.max_items = -1: must be 1 or more"),
        ("[feeds]\nmax_redirects = -1\n", r"\[feeds\]\.max_redirects = -1: must be 0 to 100"),
        ("[feeds]\nread_timeout_seconds = -2.0\n", r"read_timeout_seconds = -2\.0: must be"),
        ("[feeds]\nmax_body_bytes = -5\n", r"max_body_bytes = -5: must be 1 or more"),
        ("[storage]\nreader_wait_seconds = -1\n", r"reader_wait_seconds = -1.*must be 0 or"),
        ("[run]\nbatch_size = 10.7\n", r"\[run\]\.batch_size: expected int .*10\.7"),
        ("[feeds]\nmax_connections = 1e999\n", r"max_connections: expected a finite number"),
        ("[feeds]\nbackoff_seconds = nan\n", r"backoff_seconds: expected a finite number"),
        ("[service]\nport = 70000\n", r"\[service\]\.port = 70000: must be at most 65,535"),
        ("[feeds]\nallow_private_hosts = 1\n", r"allow_private_hosts: expected true/false"),
        (
            '[[feeds.sources]]\nurl = "https://a.example/rss"\nmax_items = -1\n',
            r"\[feeds\]\.sources\.max_items = -1: must be 0 or more",
        ),
    ],
)
def test_every_setting_is_checked_for_type_and_range(
    tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_whole_floats_are_accepted_for_ints(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[run]\nbatch_size = 10.0\n[feeds]\nconnect_timeout_seconds = 3\n")
    s = load_settings(path)
    assert s.run.batch_size == 10 and isinstance(s.run.batch_size, int)
    assert s.feeds.connect_timeout_seconds == 3.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MEDIAWATCH_FEEDS_MAX_CONNECTIONS", "0", "MEDIAWATCH_FEEDS_MAX_CONNECTIONS = 0: must"),
        ("MEDIAWATCH_RUN_BATCH_SIZE", "10.7", "MEDIAWATCH_RUN_BATCH_SIZE: expected int"),
        ("MEDIAWATCH_FEEDS_READ_TIMEOUT_SECONDS", "1e999", "expected a finite number"),
        ("MEDIAWATCH_FEEDS_RETRIES", "-1", "MEDIAWATCH_FEEDS_RETRIES = -1: must be 0 to 100"),
        (
            "MEDIAWATCH_FEEDS_MAX_CONECTIONS",
            "3",
            "unknown setting in the environment: MEDIAWATCH_FEEDS_MAX_CONECTIONS "
            r"\(did you mean MEDIAWATCH_FEEDS_MAX_CONNECTIONS\?\)",
        ),
        ("MEDIAWATCH_WINDOW_DAYS", "3", "unknown setting in the environment"),
    ],
)
def test_environment_variables_are_checked_like_the_file(
    monkeypatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_settings_file_or_database_that_is_a_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIAWATCH_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match=r"is a folder: give a \.toml file"):
        load_settings()
    monkeypatch.delenv("MEDIAWATCH_CONFIG")
    with pytest.raises(ConfigError, match=r"is a folder: give a \.duckdb file"):
        load_settings(db=tmp_path)


# --- the command line ------------------------------------------------------------------


def mediawatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "mediawatch.cli", *args],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["stories", "search x", "dupes", "runs", "failures", "story 1"])
def test_a_negative_limit_is_a_one_line_error(inspect_db: Path, command: str) -> None:
    line = one_line_error(mediawatch(*command.split(), "--limit", "-1", "--db", str(inspect_db)), 2)
    assert "--limit: must be 0 or more, not -1" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["stories", "--since", "99999999d"], "reaches back before the year 1"),
        (["stories", "--until", "0001-01-01"], "24 hours reaches back before the year 1"),
        (["stories", "--limit", "9" * 20], "--limit: must be at most 1,000,000,000"),
        (["search", "flood", "--limit", "9" * 20], "--limit: must be at most 1,000,000,000"),
        (["search", "flood", "--offset", "9" * 20], "--offset: must be at most 1,000,000,000"),
        (["watch", "hits", "quake", "--limit", "9" * 20], "--limit: must be at most 1,000,000,000"),
        (["runs", "--limit", "9" * 20], "--limit: must be at most 1,000,000,000"),
        (["vacuum", "--prune-days", "99999999999"], "--prune-days: must be 0 (no pruning) to"),
        (["vacuum", "--prune-days", "-1"], "--prune-days: must be 0 (no pruning) to 36,600"),
        (["stories", "--offset", "-2"], "--offset: must be 0 or more"),
        (["diff", "1", "2", "--width", "-5"], "--width: must be 1 or more, not -5"),
        (["explain", "2", "999"], "no such article: 999"),
        (["failures", "--run", "99"], "no run 99"),
        (["export", "-o", "missing/dir/x.csv"], "no folder"),
        (["export", "-o", "x.CSVX"], "unknown export format 'csvx'"),
        (["search", LONG_PHRASE[:2000]], "at most 500"),
        (["ui", "--port", "99999"], "--port: must be 0 (any free port) to 65535"),
    ],
)
def test_mistakes_on_the_command_line_are_one_line(
    inspect_db: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    result = mediawatch(*args, "--db", str(inspect_db))
    line = one_line_error(result, 2 if "must be" in expected else 1)
    assert expected in line
    assert not (tmp_path / "missing").exists()


def test_the_largest_limit_and_offset_are_taken_and_an_early_end_is_refused(
    inspect_db: Path, capsys
) -> None:
    from mediawatch.options import MAX_COUNT

    db, most = str(inspect_db), str(MAX_COUNT)
    for command in (["stories"], ["search", "harbour"]):
        assert main([*command, "--db", db, "--limit", most, "--offset", most, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == []
    for command in (["runs"], ["failures"], ["dupes"], ["stories"]):
        assert main([*command, "--db", db, "--limit", most, "--json"]) == 0
        capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["runs", "--db", db, "--limit", str(MAX_COUNT + 1)])
    assert stop.value.code == 2
    assert "--limit: must be at most 1,000,000,000" in capsys.readouterr().err
    assert main(["stories", "--db", db, "--until", "0001-01-01"]) == 1
    assert capsys.readouterr().err == (
        "mediawatch: the end '0001-01-01' with a growth window of 24 hours reaches back "
        "before the year 1: give a later end\n"
    )
    assert main(["stories", "--db", db, "--until", "0001-01-02", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_csv_or_a_folder_as_database_is_refused_without_a_lock_file(
    tmp_path: Path,
) -> None:
    listing = tmp_path / "articles.csv"
    listing.write_text("url,title,text\nhttps://a.example/1,A,Some text here\n")
    for command in (["stories"], ["ingest", str(SEEDS / "demo")], ["migrate"]):
        line = one_line_error(mediawatch(*command, "--db", str(listing)))
        assert "not a mediawatch (DuckDB) database" in line
        assert f"mediawatch ingest {listing}" in line  # what the user probably meant
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles.csv"]  # no .lock
    assert listing.read_text().startswith("url,title,text")  # untouched
    line = one_line_error(mediawatch("stories", "--db", str(tmp_path)))
    assert "is a folder" in line
    line = one_line_error(mediawatch("stories", env={"MEDIAWATCH_CONFIG": str(tmp_path)}))
    assert "is a folder" in line
    bad = tmp_path / "bad.toml"
    bad.write_text("[feeds]\nmax_connections = 1e999\n")
    line = one_line_error(mediawatch("stories", "--config", str(bad)))
    assert "max_connections: expected a finite number" in line


def test_ingest_does_not_create_folders_for_a_mistyped_database(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.duckdb"
    line = one_line_error(mediawatch("ingest", str(SEEDS / "demo"), "--db", str(target)))
    assert f"no folder {target.parent}" in line and "create it first" in line
    assert not (tmp_path / "no").exists()


def test_limit_zero_means_all_and_notes_say_how_many(inspect_db: Path, capsys) -> None:
    db = str(inspect_db)
    capsys.readouterr()
    assert main(["search", "harbour", "--db", db, "--limit", "0", "--json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert len(every) > 2
    assert main(["search", "harbour", "--db", db, "--limit", "1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["runs", "--db", db, "--limit", "0", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= 1
    assert main(["failures", "--db", db, "--limit", "0", "--json"]) == 0
    capsys.readouterr()

    assert main(["search", "harbour", "--db", db, "--limit", "1", "--offset", "1"]) == 0
    out = capsys.readouterr().out
    assert f"1 of {len(every)} articles shown (2–2); more: --offset 2; all: --limit 0" in out
    assert main(["stories", "--db", db, "--json", "--limit", "0"]) == 0
    stories = json.loads(capsys.readouterr().out)
    assert main(["stories", "--db", db, "--limit", "2", "--offset", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == stories[1:3]
    assert main(["stories", "--db", db, "--limit", "2"]) == 0
    assert f"2 of {len(stories)} stories shown (1–2); more: --offset 2" in capsys.readouterr().out
    assert main(["stories", "--db", db, "--limit", "0"]) == 0
    assert "shown" not in capsys.readouterr().out  # all of them: nothing to say


def test_help_shows_the_defaults() -> None:
    out = mediawatch("stories", "--help").stdout
    assert "stories shown (0: all) (default: 50)" in " ".join(out.split())
    assert "(default: 24.0)" in out
    out = " ".join(mediawatch("search", "--help").stdout.split())
    assert "(default: 20)" in out and "--offset" in out
