"""Settings: the defaults file, environment overrides, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mediawatch.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings


def test_the_settings_file_matches_the_built_in_defaults(monkeypatch) -> None:
    # (conftest turns the background server off for the session)
    for name in (
        "MEDIAWATCH_DB",
        "MEDIAWATCH_CONFIG",
        "MEDIAWATCH_SERVICE_BACKGROUND_IDLE_MINUTES",
    ):
        monkeypatch.delenv(name, raising=False)
    assert DEFAULT_CONFIG.exists()
    assert load_settings(DEFAULT_CONFIG) == Settings()


def test_environment_variables_override_the_file(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIAWATCH_MATCH_WINDOW_DAYS", "7")
    monkeypatch.setenv("MEDIAWATCH_RUN_SOURCES", "a, b")
    monkeypatch.setenv("MEDIAWATCH_DB", str(tmp_path / "x.duckdb"))
    s = load_settings()
    assert s.match.window_days == 7
    assert s.run.sources == ("a", "b")
    assert s.db_path == tmp_path / "x.duckdb"
    assert load_settings(db=tmp_path / "y.duckdb").db_path == tmp_path / "y.duckdb"


def test_relative_paths_are_relative_to_the_project(monkeypatch) -> None:
    monkeypatch.delenv("MEDIAWATCH_DB", raising=False)
    s = load_settings()
    assert s.db_path == DEFAULT_CONFIG.parent.parent / "data" / "mediawatch.duckdb"


def test_an_empty_db_is_refused_not_the_default(tmp_path: Path, capsys) -> None:
    """`--db "$UNSET"` must not act on the project's default database (vacuum, reindex)."""
    from mediawatch.cli import main

    with pytest.raises(ConfigError, match="--db is empty"):
        load_settings(db="")
    with pytest.raises(ConfigError, match="--db is empty"):
        load_settings(db="  ")
    assert main(["vacuum", "--db", ""]) == 1
    assert "--db is empty" in capsys.readouterr().err


def test_bad_settings_are_refused_with_the_place(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIAWATCH_RUN_BATCH_SIZE", "many")
    with pytest.raises(ConfigError, match="MEDIAWATCH_RUN_BATCH_SIZE: expected int"):
        load_settings()
    monkeypatch.delenv("MEDIAWATCH_RUN_BATCH_SIZE")
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nbatch_sise = 3\n")
    with pytest.raises(ConfigError, match=r"\[run\]: unknown setting\(s\) batch_sise"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().run.batch_size = 3  # type: ignore[misc]


def test_feeds_are_an_array_of_tables(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MEDIAWATCH_FEEDS_SOURCES", raising=False)
    path = tmp_path / "feeds.toml"
    path.write_text(
        DEFAULT_CONFIG.read_text()
        + "\n[[feeds.sources]]\n"
        + 'url = "https://news.example/rss.xml"\nname = "Example News"\n'
        + 'poll_minutes = 15\nallowed_hosts = ["cdn.example"]\nmax_items = 5\n'
        + '\n[[feeds.sources]]\nurl = "https://other.example/sitemap.xml"\n'
    )
    feeds = load_settings(path).feeds
    first, second = feeds.sources
    assert (first.url, first.name, first.poll_minutes, first.max_items) == (
        "https://news.example/rss.xml",
        "Example News",
        15,
        5,
    )
    assert first.allowed_hosts == ("cdn.example",)
    assert second.name == "" and second.max_items == 0  # the [feeds] defaults apply
    assert feeds.source_for("https://other.example/sitemap.xml") is second
    assert feeds.source_for("https://new.example/feed").url == "https://new.example/feed"
    monkeypatch.setenv("MEDIAWATCH_FEEDS_SOURCES", "https://a.example/rss, https://b.example/x")
    assert [s.url for s in load_settings(path).feeds.sources] == [
        "https://a.example/rss",
        "https://b.example/x",
    ]


def test_bad_feed_entries_are_refused_with_the_place(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MEDIAWATCH_FEEDS_SOURCES", raising=False)
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds.sources]]\nname = "no url"\n')
    with pytest.raises(ConfigError, match=r"\[feeds\]\.sources: missing setting\(s\) url"):
        load_settings(path)
    path.write_text('[[feeds.sources]]\nurl = "ftp://x.example/feed"\n')
    with pytest.raises(ConfigError, match="must start with http"):
        load_settings(path)
    path.write_text('[[feeds.sources]]\nurl = "https://x.example/feed"\npoll = 3\n')
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) poll"):
        load_settings(path)
