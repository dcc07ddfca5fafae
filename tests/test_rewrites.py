"""No rewrite left to chance: 100 generated rewrite pairs at content-word-set Jaccard 0.45 to
0.55, and every pair that verification alone calls a duplicate ends in one duplicate group.

LSH makes such a pair a candidate in only about 95% of cases; the story-mate check
(mediawatch.match.storymates) verifies what the story step puts together. The same data
with the check off (``match.story_check_limit = 0``, the behaviour before it) misses the
pairs that share no band key: the test shows that too, so it cannot pass vacuously.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import pytest

from mediawatch import pipeline
from mediawatch.cli import main
from mediawatch.config import Settings, load_settings
from mediawatch.fingerprint import fingerprint_many
from mediawatch.ingest.local import iter_local
from mediawatch.match.verify import verify
from mediawatch.prepare import prepare_batch

from .rewrites import Pair, content_jaccard, rewrite_pairs

START = datetime(2026, 3, 2, 6, 0)


@cache
def pairs() -> tuple[Pair, ...]:
    return tuple(rewrite_pairs(100, seed=13))


@cache
def verified() -> dict[int, str]:
    """Pair number -> the relation verification alone gives (duplicates only)."""
    out = {}
    for p in pairs():
        d = verify(p.original, p.rewrite)
        if d.relation is not None:
            out[p.number] = d.relation
    return out


@cache
def bandless() -> frozenset[int]:
    """Pairs whose fingerprints share no LSH band key: LSH never makes them candidates."""
    out = set()
    for p in pairs():
        fa, fb = fingerprint_many([p.original, p.rewrite])
        if not any(
            set(keys) & set(fb.band_keys.get(kind, ())) for kind, keys in fa.band_keys.items()
        ):
            out.add(p.number)
    return frozenset(out)


def url(p: Pair, which: str) -> str:
    return f"https://{which}-{p.number}.rewrites.example/news/{p.place.lower()}"


def record(p: Pair, which: str) -> dict:
    at = START + timedelta(hours=5 * p.number + (3 if which == "rewrite" else 0))
    return {
        "url": url(p, which),
        "title": f"{p.place}: {p.person} on the {which}" if which == "original" else None,
        "text": p.original if which == "original" else p.rewrite,
        "published_at": at.isoformat() + "Z",
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def store(settings: Settings, path: Path) -> None:
    """The pipeline's stages as plain functions: read, extract and fingerprint, then match,
    cluster and store one batch in the DuckDB file."""
    docs = list(iter_local([str(path)], settings.ingest))
    batch = prepare_batch(docs, settings.extract)
    run_id = pipeline.start_run(settings, [str(path)], "ingest")
    pipeline.store_batch(batch, [], run_id, settings)


def placement(db: Path) -> dict[str, tuple[int | None, str | None, int, dict | None]]:
    """URL -> (group, relation, story, decision)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            """SELECT a.url, dm.group_id, dm.relation, sm.story_id, dm.decision
               FROM articles a JOIN story_members sm USING (article_id)
               LEFT JOIN dup_members dm USING (article_id)"""
        ).fetchall()
    return {u: (g, r, s, json.loads(d) if d else None) for u, g, r, s, d in rows}


def ingest_pairs(tmp_path: Path, limit: int | None = None) -> Path:
    """All 200 articles in two batches: the originals with the first half's rewrites (pairs
    inside one batch), then the second half's rewrites (pairs with a stored original)."""
    db = tmp_path / f"rewrites-{limit}.duckdb"
    settings = load_settings(db=db)
    if limit is not None:
        settings = dataclasses.replace(
            settings, match=dataclasses.replace(settings.match, story_check_limit=limit)
        )
    first = [record(p, "original") for p in pairs()]
    first += [record(p, "rewrite") for p in pairs()[:50]]
    second = [record(p, "rewrite") for p in pairs()[50:]]
    store(settings, write_jsonl(tmp_path / "first.jsonl", first))
    store(settings, write_jsonl(tmp_path / "second.jsonl", second))
    return db


def test_the_generated_pairs_are_rewrites_at_jaccard_one_half() -> None:
    assert len(pairs()) == 100
    for p in pairs():
        assert 0.45 <= p.jaccard <= 0.55
        assert p.jaccard == pytest.approx(content_jaccard(p.original, p.rewrite))
        assert p.original != p.rewrite
    # most of them verify (a few lose too many sentences to word swaps), and some of
    # those share no LSH band key: chance decides them without the story-mate check
    assert len(verified()) >= 85
    assert set(verified().values()) <= {"rewrite", "near_copy"}
    assert bandless() & set(verified())


def test_every_pair_that_verifies_ends_in_one_duplicate_group(tmp_path: Path, capsys) -> None:
    db = ingest_pairs(tmp_path)
    where = placement(db)
    for p in pairs():
        g_orig, rel_orig, story_orig, _ = where[url(p, "original")]
        g_rew, rel_rew, story_rew, decision = where[url(p, "rewrite")]
        if p.number in verified():
            assert g_orig is not None and g_orig == g_rew, f"pair {p.number} not grouped"
            assert rel_orig == "origin"  # the original is earlier: the group's origin
            assert rel_rew == verified()[p.number]
            assert story_orig == story_rew
            if p.number in bandless():  # found through story membership, and marked so
                assert decision["scores"]["story_mates"] == 1.0
                assert "compared as members of one story" in decision["reason"]
        else:
            assert g_orig is None or g_orig != g_rew  # no group without a verified pair

    # groups stay inside one story, and the database is consistent
    with duckdb.connect(str(db), read_only=True) as conn:
        spanning = conn.execute(
            """SELECT count(*) FROM (SELECT dm.group_id FROM dup_members dm
               JOIN story_members sm USING (article_id) GROUP BY dm.group_id
               HAVING count(DISTINCT sm.story_id) > 1)"""
        ).fetchone()[0]
        ids = dict(conn.execute("SELECT url, article_id FROM articles").fetchall())
        checked = conn.execute("SELECT sum(len(checked)), count(*) FROM story_checks").fetchone()
    assert spanning == 0
    assert checked[1] == 200 and checked[0] > 0
    capsys.readouterr()
    assert main(["check", "--db", str(db)]) == 0

    # explain tells how a pair was compared, or why it never was
    first = min(bandless() & set(verified()))
    a, b = ids[url(pairs()[first], "original")], ids[url(pairs()[first], "rewrite")]
    capsys.readouterr()
    assert main(["explain", str(a), str(b), "--db", str(db), "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)["stored"]
    assert "both in duplicate group" in stored
    assert "compared as members of one story" in stored

    other = ids[url(pairs()[first + 1], "original")]
    assert main(["explain", str(a), str(other), "--db", str(db), "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)["stored"]
    assert "never compared them" in stored and "story" in stored


def test_without_the_story_mate_check_chance_decides(tmp_path: Path) -> None:
    """The behaviour before the check (limit 0): pairs without a shared band key are missed."""
    db = ingest_pairs(tmp_path, limit=0)
    where = placement(db)
    missed = {
        p.number
        for p in pairs()
        if p.number in verified()
        and (
            where[url(p, "original")][0] is None
            or where[url(p, "original")][0] != where[url(p, "rewrite")][0]
        )
    }
    assert missed and missed <= bandless()


def test_a_real_ingest_groups_the_rewrites_lsh_misses(prefect_harness, tmp_path: Path) -> None:
    """The ingest flow (a real Prefect flow run) on the pairs without a shared band key and
    a few others, in one small batch: every pair that verifies is one group."""
    from flows.ingest import ingest_flow

    chosen = [*sorted(bandless() & set(verified()))[:4], 0, 1, 2]
    rows = [record(pairs()[i], w) for i in chosen for w in ("original", "rewrite")]
    db = tmp_path / "flow.duckdb"
    summary = ingest_flow(sources=[str(write_jsonl(tmp_path / "few.jsonl", rows))], db=str(db))
    assert summary.new_articles == len(rows) and not summary.failures
    where = placement(db)
    for i in chosen:
        orig, rew = where[url(pairs()[i], "original")], where[url(pairs()[i], "rewrite")]
        if i in verified():
            assert orig[0] is not None and orig[0] == rew[0], f"pair {i} not grouped"
            assert rew[1] == verified()[i]
