"""Settings: the defaults file under config/, overridden by MEDIAWATCH_* variables.

The dataclass defaults mirror config/mediawatch.toml (a test keeps them equal), so
the package still works when the file is not next to it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "mediawatch.toml"


class ConfigError(ValueError):
    """A settings file or variable that cannot be used."""


@dataclass(frozen=True)
class StorageSettings:
    db: str = "data/mediawatch.duckdb"
    reader_wait_seconds: float = 60.0
    writer_wait_seconds: float = 600.0


@dataclass(frozen=True)
class RunSettings:
    sources: tuple[str, ...] = ("seeds",)
    batch_size: int = 500
    workers: int = 0
    chunk_size: int = 8
    dask_address: str = ""


@dataclass(frozen=True)
class IngestSettings:
    max_file_bytes: int = 20_000_000
    html_extensions: tuple[str, ...] = (".html", ".htm")
    text_extensions: tuple[str, ...] = (".txt", ".md")


@dataclass(frozen=True)
class ExtractSettings:
    min_words: int = 25
    site_boilerplate_min_pages: int = 5


@dataclass(frozen=True)
class MatchSettings:
    window_days: int = 30
    story_check_limit: int = 30


@dataclass(frozen=True)
class FeedSource:
    """One feed or sitemap to poll; zero values fall back to the [feeds] defaults."""

    url: str
    name: str = ""  # the outlet, stored as the articles' source; empty: the site's own name
    poll_minutes: int = 0
    allowed_hosts: tuple[str, ...] = ()  # hosts its links may point to besides its own
    max_items: int = 0  # pages fetched per run at most; the rest wait for the next run

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"feed url must start with http:// or https://, got {self.url!r}")

    @classmethod
    def from_text(cls, text: str) -> FeedSource:
        """A bare URL (environment variables list feeds as comma-separated URLs)."""
        return cls(url=text.strip())


@dataclass(frozen=True)
class FeedSettings:
    # Sent with every request; robots.txt rules are matched on its first word.
    user_agent: str = "mediawatch/0.1 (+https://github.com/mediawatch/mediawatch; media monitoring)"
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 20.0
    total_timeout_seconds: float = 60.0
    max_redirects: int = 5
    max_body_bytes: int = 10_000_000
    per_host_concurrency: int = 2
    per_host_delay_seconds: float = 1.0
    max_connections: int = 16
    retries: int = 2
    backoff_seconds: float = 1.0
    max_retry_after_seconds: float = 120.0
    max_crawl_delay_seconds: float = 60.0
    allow_private_hosts: bool = False
    allowed_hosts: tuple[str, ...] = ()
    poll_minutes: int = 30
    max_items: int = 100
    max_sitemaps: int = 20
    # How long one run may spend on one feed's pages, and on all pages (seconds; 0: no
    # limit): pages not fetched by then wait for the next run (mediawatch.ingest.deadline).
    feed_deadline_seconds: float = 300.0
    run_deadline_seconds: float = 1800.0
    sources: tuple[FeedSource, ...] = ()

    def source_for(self, url: str) -> FeedSource:
        """The configured entry for a URL, or a plain one for a URL given on the command line."""
        for s in self.sources:
            if s.url == url:
                return s
        return FeedSource(url=url)


@dataclass(frozen=True)
class RetentionSettings:
    # Article texts older than this many days, in stories closed for the window, are
    # pruned by `mediawatch vacuum` (metadata, memberships and fingerprints stay); 0: never.
    prune_text_after_days: int = 0
    # When `mediawatch serve` runs the vacuum (cron, UTC); empty: never.
    vacuum_cron: str = "30 3 * * *"


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Schedule:
    """One scheduled ingest of `mediawatch serve`: a group of feeds and/or local sources,
    every ``interval_minutes`` or on a ``cron`` expression."""

    name: str  # the Prefect deployment's name: lowercase letters, digits, dashes
    feeds: tuple[str, ...] = ()  # "all", or names or URLs of configured [[feeds.sources]]
    sources: tuple[str, ...] = ()  # local paths (relative to the project) and feed URLs
    interval_minutes: float = 0.0
    cron: str = ""
    due_only: bool = False  # poll only feeds whose own poll_minutes have passed

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(
                f"schedule name {self.name!r}: use lowercase letters, digits and dashes"
            )
        if (self.interval_minutes > 0) == bool(self.cron.strip()):
            raise ConfigError(
                f"schedule {self.name!r}: give either interval_minutes or cron, not both"
            )
        if not self.feeds and not self.sources:
            raise ConfigError(f"schedule {self.name!r}: nothing to ingest (feeds or sources)")


@dataclass(frozen=True)
class ServiceSettings:
    # The Prefect server of `mediawatch server start`: this machine only by default.
    host: str = "127.0.0.1"
    port: int = 4200
    # Seconds `mediawatch server start` waits for the server to answer.
    start_timeout_seconds: float = 120.0
    # A one-shot run (ingest, run) with no Prefect server to report to starts this server
    # in the background and reports to it, as later runs do; the server stops by itself
    # once no run has used it for this many minutes. 0: none (each such run starts
    # Prefect's temporary server, seconds of start-up); always 0 when $CI is set.
    background_idle_minutes: float = 30.0
    # A run in the command's own process leaves a warm runner (mediawatch.runner) for the
    # runs that follow while that server is up: they skip seconds of imports. false:
    # none; $MEDIAWATCH_SERVICE_WARM_RUNNER=false also keeps a command from using one.
    warm_runner: bool = True
    # Flow runs `mediawatch serve` runs at once (their writes queue for the database).
    max_runs_at_once: int = 2
    schedules: tuple[Schedule, ...] = (
        Schedule(name="main", feeds=("all",), sources=("seeds",), interval_minutes=30.0),
    )


_WATCH_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class WatchList:
    """A saved query that every run checks against what it stored (mediawatch.watch):
    words, "phrases" and prefix* as `mediawatch search` takes them, narrowed by sources
    (any part of the name, any case), languages (ISO codes), a least story size, and a
    growth mark (``growth_articles`` articles dated within ``growth_hours``)."""

    name: str
    query: str = ""
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    min_size: int = 1
    growth_articles: int = 0  # 0: no growth alert
    growth_hours: float = 24.0
    webhook: str = ""  # a JSON POST per run with the new hits (host in watch.allowed_hosts)
    notify_block: str = ""  # a Prefect notification block: "block-type-slug/block-name"

    def __post_init__(self) -> None:
        where = f"watchlist {self.name!r}"
        if not _WATCH_NAME.match(self.name):
            raise ConfigError(
                f"{where}: a name is 1 to 64 lowercase letters, digits, dashes or underscores"
            )
        if self.min_size < 1:
            raise ConfigError(f"{where}: min_size must be 1 or more, got {self.min_size}")
        if self.growth_articles < 0:
            raise ConfigError(f"{where}: growth_articles must be 0 (off) or more")
        if not 0 < self.growth_hours <= 24 * 366:  # NaN fails too
            raise ConfigError(f"{where}: growth_hours must be more than 0 and at most 8784")
        for lang in self.languages:
            if not _LANGUAGE.match(lang):
                raise ConfigError(f"{where}: language {lang!r} is not an ISO code such as en or nl")
        if any(not s.strip() for s in self.sources):
            raise ConfigError(f"{where}: an empty source name matches everything; drop it")
        if self.webhook and not self.webhook.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: webhook must start with http:// or https://")
        if self.notify_block and self.notify_block.count("/") != 1:
            raise ConfigError(
                f"{where}: notify_block is a Prefect block as 'block-type-slug/block-name', "
                f"such as 'slack-webhook/newsroom', got {self.notify_block!r}"
            )
        if not (self.query.strip() or self.sources or self.languages or self.growth_articles):
            raise ConfigError(
                f"{where}: nothing to watch: give a query, sources, languages or a growth mark"
            )


@dataclass(frozen=True)
class WatchSettings:
    # Hosts webhooks may be sent to (and their subdomains), under the rules of feed
    # requests: no private, loopback or link-local address unless feeds.allow_private_hosts.
    allowed_hosts: tuple[str, ...] = ()
    # Runs that try a failed delivery (each with feeds.retries retries) before giving up.
    delivery_attempts: int = 3
    lists: tuple[WatchList, ...] = ()

    def __post_init__(self) -> None:
        if self.delivery_attempts < 1:
            raise ConfigError("[watch] delivery_attempts must be 1 or more")
        names = [w.name for w in self.lists]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ConfigError(f"[[watch.lists]]: the name {doubled[0]!r} is used twice")


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = field(default_factory=StorageSettings)
    run: RunSettings = field(default_factory=RunSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    match: MatchSettings = field(default_factory=MatchSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    feeds: FeedSettings = field(default_factory=FeedSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    root: Path = PROJECT_ROOT

    def resolve(self, path: str | Path) -> Path:
        """Relative paths in settings are relative to the project folder, not the cwd."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p

    @property
    def db_path(self) -> Path:
        return self.resolve(self.storage.db)

    @property
    def worker_count(self) -> int:
        return self.run.workers if self.run.workers > 0 else (os.cpu_count() or 1)


# Allowed ranges, (least, most) with None for no bound; every number setting has one.
# Checked wherever a value comes from (file or environment), so a run never starts with
# a setting that would hang it (max_connections = 0), refuse every host (a negative
# timeout) or quietly mean something else (batch_size = 0).
_RANGES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("StorageSettings", "reader_wait_seconds"): (0, None),
    ("StorageSettings", "writer_wait_seconds"): (0, None),
    ("RunSettings", "batch_size"): (1, None),
    ("RunSettings", "workers"): (0, 1024),
    ("RunSettings", "chunk_size"): (1, None),
    ("IngestSettings", "max_file_bytes"): (1, None),
    ("ExtractSettings", "min_words"): (0, None),
    ("ExtractSettings", "site_boilerplate_min_pages"): (0, None),
    ("MatchSettings", "window_days"): (1, 36_600),
    ("MatchSettings", "story_check_limit"): (0, 1_000),
    ("RetentionSettings", "prune_text_after_days"): (0, 36_600),
    ("ServiceSettings", "port"): (0, 65_535),
    ("ServiceSettings", "start_timeout_seconds"): (1, None),
    ("ServiceSettings", "background_idle_minutes"): (0, None),
    ("ServiceSettings", "max_runs_at_once"): (1, None),
    ("FeedSettings", "connect_timeout_seconds"): (0.001, None),
    ("FeedSettings", "read_timeout_seconds"): (0.001, None),
    ("FeedSettings", "total_timeout_seconds"): (0.001, None),
    ("FeedSettings", "max_redirects"): (0, 100),
    ("FeedSettings", "max_body_bytes"): (1, None),
    ("FeedSettings", "per_host_concurrency"): (1, None),
    ("FeedSettings", "per_host_delay_seconds"): (0, None),
    ("FeedSettings", "max_connections"): (1, None),
    ("FeedSettings", "retries"): (0, 100),
    ("FeedSettings", "backoff_seconds"): (0, None),
    ("FeedSettings", "max_retry_after_seconds"): (0, None),
    ("FeedSettings", "max_crawl_delay_seconds"): (0, None),
    ("FeedSettings", "poll_minutes"): (1, None),
    ("FeedSettings", "max_items"): (1, None),
    ("FeedSettings", "max_sitemaps"): (0, None),
    ("FeedSource", "poll_minutes"): (0, None),  # 0: the [feeds] default
    ("FeedSource", "max_items"): (0, None),  # 0: the [feeds] default
    ("Schedule", "interval_minutes"): (0, None),  # 0: on its cron instead
}
# MEDIAWATCH_* names that are not settings: bench/ and the tests read these, and
# `serve` marks the flow runs it starts (flows.SERVED_RUN).
OTHER_VARIABLES = {
    "MEDIAWATCH_SERVED_RUN",
    "MEDIAWATCH_CONFIG",
    "MEDIAWATCH_DB",
    "MEDIAWATCH_SHARED_DATA",
    "MEDIAWATCH_CHROMIUM",
}
TEST_PREFIX = "MEDIAWATCH_TEST_"  # markers the tests put on the processes they start


def _bound(text: float) -> str:
    return f"{text:,}" if isinstance(text, int) or float(text).is_integer() else f"{text:g}"


def _check_range(cls: type, name: str, value: Any, where: str) -> None:
    limits = _RANGES.get((cls.__name__, name))
    if limits is None or not isinstance(value, int | float) or isinstance(value, bool):
        return
    low, high = limits
    if low is not None and value < low:
        more = f"{_bound(low)} or more" if high is None else f"{_bound(low)} to {_bound(high)}"
        raise ConfigError(f"{where} = {value!r}: must be {more}")
    if high is not None and value > high:
        raise ConfigError(f"{where} = {value!r}: must be at most {_bound(high)}")


def _number(value: Any, annotation: type, where: str) -> int | float:
    """An int or float setting: whole numbers for ints (10.7 is an error, not 10), and
    never NaN or infinity (``1e999`` in TOML is infinity)."""
    kind = f"{annotation.__name__} ({'a whole number' if annotation is int else 'a number'})"
    number: Any = value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            number = int(text) if annotation is int else float(text)
        except ValueError:
            try:
                number = float(text)  # "10.7" for an int: refused below, saying why
            except ValueError:
                raise ConfigError(f"{where}: expected {kind}, got {value!r}") from None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ConfigError(f"{where}: expected {kind}, got {value!r}")
    if isinstance(number, float) and not math.isfinite(number):
        raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    if annotation is int:
        if isinstance(number, float):
            if not number.is_integer():
                raise ConfigError(f"{where}: expected {kind}, got {value!r}")
            number = int(number)
        return number
    return float(number)


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert TOML or environment values to the declared field type."""
    hint = typing.get_origin(annotation)
    if annotation is bool:
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if annotation in (int, float):
        return _number(value, annotation, where)
    if annotation is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return str(value)
    if hint is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_type, *_rest) = typing.get_args(annotation)
        return tuple(_coerce(v, item_type, where) for v in value)
    if dataclasses.is_dataclass(annotation):
        if isinstance(value, dict):
            return _build(annotation, value, "", where)
        if isinstance(value, str) and hasattr(annotation, "from_text"):
            return annotation.from_text(value)
        raise ConfigError(f"{where}: expected a table, got {value!r}")
    if hint in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(value, args[0], where)
    return value


def _build(cls: type, values: dict[str, Any], env_prefix: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        env_name = f"{env_prefix}_{f.name}".upper()
        if env_prefix and env_name in os.environ:
            kwargs[f.name] = _coerce(os.environ[env_name], hints[f.name], env_name)
            _check_range(cls, f.name, kwargs[f.name], env_name)
        elif f.name in values:
            kwargs[f.name] = _coerce(values[f.name], hints[f.name], f"{where}.{f.name}")
            _check_range(cls, f.name, kwargs[f.name], f"{where}.{f.name}")
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing setting(s) {', '.join(missing)}")
    return cls(**kwargs)


def setting_variables() -> set[str]:
    """Every MEDIAWATCH_<SECTION>_<KEY> that names a setting."""
    hints = typing.get_type_hints(Settings)
    return {
        f"MEDIAWATCH_{section.name}_{f.name}".upper()
        for section in dataclasses.fields(Settings)
        if section.name != "root"
        for f in dataclasses.fields(hints[section.name])
    }


def _check_environment() -> None:
    """A misspelt MEDIAWATCH_ variable is an error, as a misspelt key in the file is:
    ignoring it would run with a setting the user believes changed."""
    known = setting_variables() | OTHER_VARIABLES
    for name in sorted(os.environ):
        if not name.startswith("MEDIAWATCH_") or name in known or name.startswith(TEST_PREFIX):
            continue
        near = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(f"unknown setting in the environment: {name}{hint}")


def load_settings(path: str | Path | None = None, *, db: str | Path | None = None) -> Settings:
    """Read the settings file, then apply MEDIAWATCH_* overrides and an explicit db."""
    path = Path(path or os.environ.get("MEDIAWATCH_CONFIG") or DEFAULT_CONFIG)
    _check_environment()
    data: dict[str, Any] = {}
    if path.is_dir():
        raise ConfigError(f"the settings file {path} is a folder: give a .toml file")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read the settings file {path}: {exc.strerror}") from None
    elif path != DEFAULT_CONFIG:
        raise ConfigError(f"settings file not found: {path}")
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Settings)
    for f in dataclasses.fields(Settings):
        if f.name == "root":
            continue
        section = data.pop(f.name, {})
        sections[f.name] = _build(hints[f.name], section, f"MEDIAWATCH_{f.name}", f"[{f.name}]")
    if data:
        raise ConfigError(f"{path}: unknown section(s) {', '.join(sorted(data))}")
    settings = Settings(**sections)
    if db is not None and not str(db).strip():
        # An empty --db (an unset shell variable) must not fall back to the default
        # database: vacuum or reindex would then act on a file the user did not name.
        raise ConfigError("--db is empty: give the database file")
    db = db or os.environ.get("MEDIAWATCH_DB")
    if db:
        storage = dataclasses.replace(settings.storage, db=str(Path(db).expanduser().absolute()))
        settings = dataclasses.replace(settings, storage=storage)
    if settings.db_path.is_dir():
        raise ConfigError(f"the database {settings.db_path} is a folder: give a .duckdb file")
    return settings
