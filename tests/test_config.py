"""Settings: the defaults file, environment overrides, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mediawatch.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings


def test_the_settings_file_matches_the_built_in_defaults(monkeypatch) -> None:
    for name in ("MEDIAWATCH_DB", "MEDIAWATCH_CONFIG"):
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
