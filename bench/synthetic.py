"""Synthetic archives for the scale benchmarks: N stored articles written straight with SQL.

Going through the pipeline, a million articles take hours; here DuckDB writes every table
a stored article has (articles, LSH bands, duplicate groups, stories with their profiles,
inverted index and member terms, document frequencies, the search index) in minutes, in a
shape the pipeline reads and extends normally (`store_batch` runs on it).

Assumptions (printed with the figures):
- articles arrive at a steady rate (RATE_PER_DAY) up to today, in id order, so the last
  30 days hold the same number of articles whatever the archive's size; a 1,000,000-article
  archive is then about 8 years of history;
- texts are short (TEXT_WORDS words drawn from a real vocabulary) and band keys random:
  the synthetic articles are nobody's duplicates; real duplicates come from the real pages
  that the benchmark stores on top;
- stories of STORY_SIZE consecutive articles, every tenth pair of articles a duplicate
  group; story keys and terms drawn from the same vocabulary, frequent words more often.

This is benchmark code: its SQL writes test data, nothing in the product calls it.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from mediawatch.cluster.features import extract_features
from mediawatch.fingerprint import SCHEME_VERSION
from storage.connection import transaction, writer
from storage.reindex import set_text_scheme

GENERATOR_VERSION = 2  # bump when the shape below changes: cached archives are rebuilt
RATE_PER_DAY = 333  # about 10,000 articles in a 30-day window
TEXT_WORDS = 40  # drawn words per article (repeats add up: about 35 distinct)
STORY_SIZE = 3
BANDS_PER_ARTICLE = 59  # 52 MinHash bands + 1 exact + 6 sentence keys (rows_per_article: 64)


def vocabulary(texts: list[str]) -> tuple[list[str], list[str]]:
    """Stemmed content words and names of real articles, most frequent first."""
    words: dict[str, float] = {}
    names: dict[str, float] = {}
    for t in texts:
        f = extract_features("", t)
        for k, v in f.words.items():
            words[k] = words.get(k, 0) + v
        for k, v in f.entities.items():
            names[k] = names.get(k, 0) + v
    return sorted(words, key=lambda k: -words[k]), sorted(names, key=lambda k: -names[k])


def build(path: Path, n: int, texts: list[str], log=print) -> float:
    """Write an archive of ``n`` articles to ``path`` (a new file); returns seconds taken."""
    start = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    words, names = vocabulary(texts)
    end = datetime.combine(date.today(), datetime.min.time())
    first = end - timedelta(days=n / RATE_PER_DAY)
    with writer(path) as conn:  # the real schema, migrated like any database
        conn.execute(
            "CREATE TEMP TABLE vw AS SELECT unnest(?) AS w, generate_subscripts(?, 1) AS r",
            [words, words],
        )
        conn.execute(
            "CREATE TEMP TABLE vn AS SELECT unnest(?) AS w, generate_subscripts(?, 1) AS r",
            [names, names],
        )
        nw, nn = len(words), len(names)
        # Zipf-like draws: rank = floor(V ** u) for u uniform in [0, 1): frequent words often.
        conn.execute("SELECT setseed(0.42)")
        log(f"  vocabulary and schema: {time.perf_counter() - start:.1f} s")
        with transaction(conn):
            log(f"  {n:,} articles ... {time.perf_counter() - start:.1f} s")
            conn.execute(
                f"""
                CREATE TEMP TABLE a AS
                SELECT i AS article_id,
                       ?::TIMESTAMP + to_microseconds((i * 86400000000 // {RATE_PER_DAY})::BIGINT)
                           AS date
                FROM range(1, ? + 1) t(i)
                """,
                [first, n],
            )
            conn.execute(
                f"""
                CREATE TEMP TABLE syn_terms AS
                SELECT x.article_id, vw.w AS term, count(*) AS tf
                FROM (
                    SELECT a.article_id,
                           1 + floor(pow({nw}, hash(a.article_id, j, 't')
                                               / 18446744073709551616.0))::BIGINT AS r
                    FROM a, range({TEXT_WORDS}) t(j)
                ) x JOIN vw USING (r)
                GROUP BY ALL
                """
            )
            conn.execute(
                """
                INSERT INTO articles (article_id, url, url_key, title, text, text_hash, raw_hash,
                    word_count, source, language, extractor, published_at, fetched_at, date,
                    origin, run_id, stored_at, published_precision)
                SELECT a.article_id,
                       'https://synthetic.example/' || a.article_id,
                       'synthetic.example/' || a.article_id,
                       'Synthetic article ' || a.article_id,
                       x.text,
                       md5(a.article_id::VARCHAR), md5(a.article_id::VARCHAR),
                       x.n, 'source ' || (a.article_id % 500), 'en', 'synthetic',
                       a.date, a.date, a.date, 'synthetic', 0, a.date, 'second'
                FROM a JOIN (
                    SELECT article_id, string_agg(repeat(term || ' ', tf::INTEGER), '') AS text,
                           sum(tf)::INTEGER AS n
                    FROM syn_terms GROUP BY article_id
                ) x USING (article_id)
                ORDER BY a.article_id
                """
            )
            log(f"  LSH bands ... {time.perf_counter() - start:.1f} s")
            conn.execute(
                f"""
                INSERT INTO lsh_bands
                SELECT CASE WHEN b < 20 THEN 1 WHEN b < 40 THEN 2 WHEN b < 52 THEN 3
                            WHEN b = 52 THEN 4 ELSE 5 END,
                       (hash(a.article_id, b, 'band') >> 1)::BIGINT, a.article_id, a.date::DATE
                FROM a, range({BANDS_PER_ARTICLE}) t(b)
                ORDER BY a.article_id, b
                """
            )
            log(f"  stories ... {time.perf_counter() - start:.1f} s")
            conn.execute(
                f"""
                CREATE TEMP TABLE s AS
                SELECT (article_id - 1) // {STORY_SIZE} + 1 AS story_id,
                       min(article_id) AS origin, count(*) AS size,
                       min(date) AS first_date, max(date) AS last_date
                FROM a GROUP BY 1
                """
            )
            conn.execute(
                """
                INSERT INTO stories
                SELECT story_id, 'Synthetic article ' || origin, origin, size, 1, size, 0,
                       first_date, last_date, first_date, last_date, 1.0, 1.0, 0.5,
                       first_date, last_date, 0, 0, NULL
                FROM s
                """
            )
            conn.execute(
                f"""
                INSERT INTO story_members
                SELECT article_id, (article_id - 1) // {STORY_SIZE} + 1,
                       CASE WHEN (article_id - 1) % {STORY_SIZE} = 0 THEN 'new' ELSE 'attached'
                       END, 0.6, NULL, date, 0
                FROM a
                """
            )
            conn.execute(
                f"""
                CREATE TEMP TABLE st AS
                SELECT story_id, space, w AS term, weight
                FROM (
                    SELECT s.story_id, 'words' AS space,
                           1 + floor(pow({nw}, hash(s.story_id, j, 'w') / 18446744073709551616.0))
                               ::BIGINT AS r,
                           1.0 / (1 + j) AS weight
                    FROM s, range(15) t(j)
                ) x JOIN vw USING (r)
                UNION ALL
                SELECT story_id, space, w, weight
                FROM (
                    SELECT s.story_id, 'entities' AS space,
                           1 + floor(pow({nn}, hash(s.story_id, j, 'e') / 18446744073709551616.0))
                               ::BIGINT AS r,
                           1.0 / (1 + j) AS weight
                    FROM s, range(15) t(j)
                ) x JOIN vn USING (r)
                """
            )
            conn.execute(
                """
                INSERT INTO story_terms
                SELECT story_id, space, term, max(weight) FROM st GROUP BY ALL
                """
            )
            conn.execute(
                """
                INSERT INTO story_keys
                SELECT DISTINCT left(space, 1) || ':' || term, story_id FROM st
                """
            )
            log(f"  article terms, search index ... {time.perf_counter() - start:.1f} s")
            conn.execute(
                """
                INSERT INTO article_terms
                SELECT article_id,
                       '{"words":' || to_json(map(list(term), list(tf::DOUBLE)))::VARCHAR
                       || ',"entities":{},"numbers":{}}'
                FROM syn_terms GROUP BY article_id
                """
            )
            conn.execute(
                "INSERT INTO term_df SELECT 'words', term, count(*) FROM syn_terms GROUP BY term"
            )
            conn.execute("UPDATE pipeline_state SET value = ? WHERE name = 'n_docs'", [n])
            conn.execute("INSERT INTO search_terms SELECT term, article_id, tf FROM syn_terms")
            conn.execute(
                "INSERT INTO search_docs"
                " SELECT article_id, sum(tf) FROM syn_terms GROUP BY article_id"
            )
            log(f"  duplicate groups ... {time.perf_counter() - start:.1f} s")
            conn.execute(
                """
                CREATE TEMP TABLE g AS
                SELECT row_number() OVER (ORDER BY article_id) AS group_id, article_id AS origin
                FROM a WHERE article_id % 20 = 1 AND article_id < (SELECT max(article_id) FROM a)
                """
            )
            conn.execute(
                """
                INSERT INTO dup_groups
                SELECT group_id, origin, (origin - 1) // 3 + 1, 2, now()::TIMESTAMP,
                       now()::TIMESTAMP FROM g
                """
            )
            decision = json.dumps({"relation": "near_copy", "reason": "synthetic"})
            conn.execute(
                """
                INSERT INTO dup_members
                SELECT origin, group_id, 'origin', NULL, NULL, NULL, NULL, now()::TIMESTAMP, 0
                FROM g
                UNION ALL
                SELECT origin + 1, group_id, 'near_copy', NULL, 0.9, NULL, ?, now()::TIMESTAMP, 0
                FROM g
                """,
                [decision],
            )
            conn.execute(
                "INSERT INTO runs (run_id, kind, started_at, finished_at, state)"
                " VALUES (0, 'synthetic', now()::TIMESTAMP, now()::TIMESTAMP, 'completed')"
            )
            # The rows stand for this release's: an older text scheme would make the
            # first write reindex the whole archive, and a benchmark would measure that.
            set_text_scheme(conn, SCHEME_VERSION)
        groups = conn.execute("SELECT count(*) FROM dup_groups").fetchone()[0]
        # sequences continue after the synthetic rows
        for seq, after in (("article_ids", n), ("group_ids", groups), ("run_ids", 0)):
            conn.execute(f"DROP SEQUENCE {seq}")
            conn.execute(f"CREATE SEQUENCE {seq} START {after + 1}")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - start


def summary(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "lsh_bands", "stories", "story_keys", "search_terms")
        }
