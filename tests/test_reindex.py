"""A database written by the release before the text-analysis layer (schema 5, text
scheme 1), opened with the current code: the migrations apply, the next write (an
ingest, `mediawatch migrate`, `mediawatch reindex`) recomputes band keys, story terms and
search postings from the stored texts, and pruned articles keep the rows they have."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from mediawatch.cli import main
from mediawatch.fingerprint import SCHEME_VERSION, fingerprint_batch, text_hash
from mediawatch.ingest.urls import url_key
from mediawatch.records import Article
from mediawatch.reindex import needed, reindex
from mediawatch.search import parse_query
from mediawatch.text import word_count
from storage import search
from storage.connection import reader, transaction, writer
from storage.migrate import current_version, latest_version, migrations
from storage.reindex import text_scheme

from . import scheme1
from .multilingual import AR, DE, RU, ZH, near_copy

RUN_AT = datetime(2026, 3, 5, 12, 0)


@dataclass(frozen=True)
class OldArticle:
    article_id: int
    url: str
    text: str
    language: str | None  # as the page declared it: scheme 1 never looked at the text
    published: datetime
    story_id: int
    group: tuple[int, str] | None = None  # (group id, relation)
    pruned: bool = False

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0]


OLD = [
    OldArticle(1, "https://qianjiang.example/2026/03/05/bridge.html", ZH, "zh",
               datetime(2026, 3, 5, 8, 0), 1),
    # a site whose template declares English for its German pages
    OldArticle(2, "https://koeln.example/bruecke", DE, "en", datetime(2026, 3, 5, 9, 0), 2,
               (1, "origin")),
    OldArticle(3, "https://rhein.example/bruecke", near_copy(DE, "de"), None,
               datetime(2026, 3, 5, 11, 0), 2, (1, "near_copy")),
    OldArticle(4, "https://volga.example/most", RU, None, datetime(2026, 3, 4, 7, 0), 3,
               pruned=True),
    OldArticle(5, "https://shatee.example/jisr", AR, "ar", datetime(2026, 3, 5, 10, 0), 4),
]  # fmt: skip
PRUNED = 4


def write_scheme1_database(path: Path, articles: list[OldArticle]) -> None:
    """What the previous release left: schema 5, and every derived row as scheme 1 (the
    vendored copy in tests/scheme1.py) computed it; retention pruned one article's text
    and kept its rows."""
    conn = duckdb.connect(str(path))
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL)"
    )
    for m in migrations():
        if m.version <= 5:
            conn.execute(m.sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", [m.version, m.name, RUN_AT]
            )
    conn.execute("SELECT nextval('run_ids')").fetchall()
    conn.execute(
        "INSERT INTO runs (run_id, kind, started_at, finished_at, state)"
        " VALUES (1, 'ingest', ?, ?, 'completed')",
        [RUN_AT, RUN_AT],
    )
    df: Counter[str] = Counter()
    stories: dict[int, list[OldArticle]] = {}
    for a in articles:
        conn.execute("SELECT nextval('article_ids')").fetchall()
        conn.execute(
            """INSERT INTO articles (article_id, url, url_key, original_url, title, text,
                   text_hash, raw_hash, word_count, source, language, extractor, published_at,
                   fetched_at, date, origin, run_id, stored_at, pruned_at, published_precision)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'delivered-then', ?, ?, ?, 'plain-text', ?, ?, ?,
                   'feed.jsonl', 1, ?, ?, 'second')""",
            [
                a.article_id, a.url, url_key(a.url), a.url, a.title,
                None if a.pruned else a.text, scheme1.text_hash(a.text), len(a.text.split()),
                a.url.split("/")[2], a.language, a.published, RUN_AT, a.published, RUN_AT,
                RUN_AT + timedelta(days=1) if a.pruned else None,
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO lsh_bands VALUES (?, ?, ?, ?)",
            [
                (kind, key, a.article_id, a.published.date())
                for kind, key in scheme1.band_rows(a.text)
            ],
        )
        words = scheme1.story_words(a.title, a.text)
        df.update(words.keys())
        conn.execute(
            "INSERT INTO article_terms VALUES (?, ?)",
            [a.article_id, json.dumps({"words": words, "entities": {}, "numbers": {}})],
        )
        counts, length = scheme1.index_terms(a.title, a.text)
        conn.executemany(
            "INSERT INTO search_terms VALUES (?, ?, ?)",
            [(t, a.article_id, tf) for t, tf in counts.items()],
        )
        conn.execute("INSERT INTO search_docs VALUES (?, ?)", [a.article_id, length])
        stories.setdefault(a.story_id, []).append(a)
    conn.executemany("INSERT INTO term_df VALUES ('words', ?, ?)", [(t, n) for t, n in df.items()])
    conn.execute("UPDATE pipeline_state SET value = ? WHERE name = 'n_docs'", [len(articles)])
    for sid, members in stories.items():
        first = members[0]
        profile: Counter[str] = Counter()
        for a in members:
            profile.update(scheme1.story_words(a.title, a.text))
        conn.execute(
            """INSERT INTO stories VALUES (?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, 1, 1,
                   NULL)""",
            [
                sid, first.title, first.article_id, len(members), int(first.group is not None),
                first.published, members[-1].published, first.published, members[-1].published,
                RUN_AT, RUN_AT,
            ],
        )  # fmt: skip
        top = profile.most_common(8)
        conn.executemany(
            "INSERT INTO story_terms VALUES (?, 'words', ?, ?)", [(sid, t, w) for t, w in top]
        )
        conn.executemany("INSERT INTO story_keys VALUES (?, ?)", [(f"w:{t}", sid) for t, _ in top])
        conn.executemany(
            "INSERT INTO story_members VALUES (?, ?, ?, NULL, NULL, ?, 1)",
            [(a.article_id, sid, "new" if a is first else "attached", RUN_AT) for a in members],
        )
    groups = {a.group[0]: a for a in articles if a.group and a.group[1] == "origin"}
    for gid, origin in groups.items():
        conn.execute("SELECT nextval('group_ids')").fetchall()
        members = [a for a in articles if a.group and a.group[0] == gid]
        conn.execute(
            "INSERT INTO dup_groups VALUES (?, ?, ?, ?, ?, ?)",
            [gid, origin.article_id, origin.story_id, len(members), RUN_AT, RUN_AT],
        )
        conn.executemany(
            "INSERT INTO dup_members VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, 1)",
            [
                (
                    a.article_id, gid, a.group[1],
                    None if a is origin else origin.article_id,
                    None if a is origin else 0.93, RUN_AT,
                )
                for a in members
            ],
        )  # fmt: skip
    conn.close()


def _derived_rows(conn: duckdb.DuckDBPyConnection, article_id: int) -> dict[str, list]:
    return {
        table: conn.execute(
            f"SELECT * EXCLUDE (article_id) FROM {table} WHERE article_id = ? ORDER BY ALL",
            [article_id],
        ).fetchall()
        for table in ("lsh_bands", "article_terms", "search_terms", "search_docs")
    }


def _current_band_rows(text: str, language: str) -> list[tuple[int, int]]:
    stored = Article(
        url="stored:x", original_url="stored:x", origin="t", title=None, text=text,
        extractor="stored", fetched_at=RUN_AT, language=language,
    )  # fmt: skip
    return sorted(fingerprint_batch([stored])[0].band_keys)


@pytest.fixture(scope="module")
def scheme1_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scheme1") / "v5.duckdb"
    write_scheme1_database(path, OLD)
    return path


@pytest.fixture
def old_db(scheme1_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "old.duckdb"
    shutil.copy(scheme1_db, path)
    return path


def test_the_fixture_is_what_scheme_1_left(old_db: Path) -> None:
    """The old rows really are old: a new copy of the Chinese article shares no band key
    with them, and the search index holds Chinese clauses, not words."""
    conn = duckdb.connect(str(old_db), read_only=True)
    try:
        assert current_version(conn) == 5 < latest_version()
        assert text_scheme(conn) == 1  # no row yet: the default for a database from before
        stored = set(
            conn.execute("SELECT kind, key FROM lsh_bands WHERE article_id = 1").fetchall()
        )
        assert stored and not stored & set(_current_band_rows(near_copy(ZH, "zh"), "zh"))
        assert conn.execute("SELECT count(*) FROM search_terms WHERE term = '大桥'").fetchone() == (
            0,
        )
    finally:
        conn.close()


def test_the_next_ingest_reindexes_an_old_database(
    prefect_harness, old_db: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(old_db), read_only=True) as conn:
        pruned_before = _derived_rows(conn, PRUNED)
    feed = tmp_path / "feed.jsonl"
    records = [
        {  # the Chinese report, syndicated a day later
            "url": "https://wanbao.example/zh/bridge",
            "text": near_copy(ZH, "zh"),
            "published_at": "2026-03-06T09:00:00",
        },
        {  # the stored Chinese report fetched again: its delivered bytes changed, not its text
            "url": OLD[0].url,
            "title": OLD[0].title,
            "text": ZH,
            "published_at": "2026-03-05T08:00:00",
        },
    ]
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert main(["ingest", str(feed), "--db", str(old_db)]) == 0

    with reader(old_db) as conn:
        assert current_version(conn) == latest_version()
        assert text_scheme(conn) == SCHEME_VERSION
        langs = {
            aid: (lang, conf, declared)
            for aid, lang, conf, declared in conn.execute(
                "SELECT article_id, language, language_confidence, declared_language"
                " FROM articles WHERE article_id <= 5"
            ).fetchall()
        }
        assert langs[1][0] == "zh" and langs[1][2] == "zh" and langs[1][1] >= 0.9
        assert langs[2][0] == "de" and langs[2][2] == "en"  # the template's claim stays a hint
        assert langs[3][0] == "de" and langs[3][2] is None
        assert langs[5][0] == "ar" and langs[5][2] == "ar"
        assert langs[PRUNED] == (None, None, None)  # its text is gone: nothing to read

        # band keys and hashes recomputed: the syndicated copy joined the stored report
        assert sorted(
            conn.execute("SELECT kind, key FROM lsh_bands WHERE article_id = 1").fetchall()
        ) == _current_band_rows(ZH, "zh")
        assert conn.execute("SELECT text_hash FROM articles WHERE article_id = 1").fetchone() == (
            text_hash(ZH),
        )
        (new_id,) = conn.execute(
            "SELECT article_id FROM articles WHERE url = 'https://wanbao.example/zh/bridge'"
        ).fetchone()
        members = dict(
            conn.execute(
                """SELECT article_id, relation FROM dup_members WHERE group_id =
                   (SELECT group_id FROM dup_members WHERE article_id = 1)"""
            ).fetchall()
        )
        assert members == {1: "origin", new_id: "near_copy"}
        story = dict(conn.execute("SELECT article_id, story_id FROM story_members").fetchall())
        assert story[new_id] == story[1] == 1
        # the refetched report is the same text, not a revision of it
        assert conn.execute("SELECT count(*) FROM article_revisions").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (6,)

        # what was decided stays: the German group and the old stories
        assert conn.execute(
            "SELECT article_id, relation FROM dup_members WHERE group_id = 1 ORDER BY 1"
        ).fetchall() == [(2, "origin"), (3, "near_copy")]
        assert [story[i] for i in (2, 3, 4, 5)] == [2, 2, 3, 4]

        # story terms are words now, and the search index finds them
        terms = json.loads(
            conn.execute("SELECT terms FROM article_terms WHERE article_id = 1").fetchone()[0]
        )
        assert {"大桥", "批准"} <= set(terms["words"]) and terms["entities"]
        hits = [h.article_id for h in search.search(conn, parse_query("大桥"))]
        assert set(hits) == {1, new_id}
        assert [h.article_id for h in search.search(conn, parse_query("Brücken"))] in (
            [2, 3],
            [3, 2],
        )
        assert conn.execute(
            "SELECT df FROM term_df WHERE space = 'words' AND term = '大桥'"
        ).fetchone() == (2,)
        story_words = {
            t for (t,) in conn.execute(
                "SELECT term FROM story_terms WHERE story_id = 1 AND space = 'words'"
            ).fetchall()
        }  # fmt: skip
        assert "大桥" in story_words

        # the pruned article kept exactly what it had
        assert _derived_rows(conn, PRUNED) == pruned_before
        assert conn.execute(
            "SELECT text IS NULL, pruned_at IS NOT NULL FROM articles WHERE article_id = ?",
            [PRUNED],
        ).fetchone() == (True, True)


def test_reindex_reports_progress_and_keeps_pruned_rows(old_db: Path) -> None:
    with duckdb.connect(str(old_db), read_only=True) as conn:
        pruned_before = _derived_rows(conn, PRUNED)
    calls: list[tuple[int, int]] = []
    with writer(old_db) as conn:  # migrates to the current schema; reindexes nothing itself
        assert needed(conn)
        with transaction(conn):
            report = reindex(conn, lambda done, total: calls.append((done, total)))
        assert not needed(conn)
        assert (report.articles, report.pruned, report.stories) == (4, 1, 4)
        assert (report.from_scheme, report.to_scheme) == (1, SCHEME_VERSION)
        assert calls and calls[-1] == (4, 4)
        assert all(d <= t == 4 for d, t in calls)
        assert _derived_rows(conn, PRUNED) == pruned_before
        assert sorted(
            conn.execute("SELECT kind, key FROM lsh_bands WHERE article_id = 5").fetchall()
        ) == _current_band_rows(AR, "ar")


def test_migrate_and_reindex_commands(old_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def chinese_words() -> int:  # any schema version
        conn = duckdb.connect(str(old_db), read_only=True)
        try:
            return conn.execute("SELECT word_count FROM articles WHERE article_id = 1").fetchone()[
                0
            ]
        finally:
            conn.close()

    assert chinese_words() == len(ZH.split()) < 5  # counted by whitespace back then
    assert main(["migrate", "--db", str(old_db)]) == 0
    assert chinese_words() == word_count(ZH) > 20  # as a new article is counted
    out, err = capsys.readouterr()
    assert f"schema version {latest_version()}" in out
    assert f"reindexed 4 articles and 4 story profiles (text scheme 1 -> {SCHEME_VERSION})" in out
    assert "1 pruned article keeps its rows" in out
    assert "reindexing: 4 of 4 texts" in err
    with reader(old_db) as conn:
        first = {i: _derived_rows(conn, i) for i in range(1, 6)}
        assert text_scheme(conn) == SCHEME_VERSION

    assert main(["migrate", "--db", str(old_db)]) == 0  # nothing left to do
    assert "reindexed" not in capsys.readouterr().out

    assert main(["reindex", "--db", str(old_db)]) == 0  # on demand: the same rows again
    out, err = capsys.readouterr()
    assert (
        f"(text scheme {SCHEME_VERSION} -> {SCHEME_VERSION})" in out
        and "reindexing: 4 of 4 texts" in err
    )
    with reader(old_db) as conn:
        assert {i: _derived_rows(conn, i) for i in range(1, 6)} == first
        # the pruned Russian article is still found through the postings it kept
        assert [h.article_id for h in search.search(conn, parse_query("мост"))] == [PRUNED]


def test_reindex_never_creates_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --db is a missing database, not a new empty one to reindex."""
    path = tmp_path / "typo.duckdb"
    assert main(["reindex", "--db", str(path)]) == 1
    assert f"no database at {path}: nothing to reindex" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
