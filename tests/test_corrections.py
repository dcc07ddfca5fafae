"""An analyst's corrections through the command line, then runs that would undo them.

The demo data (seeds/) is stored once through the pipeline's plain stage functions
(extract and fingerprint in worker processes, match, cluster and store in a real DuckDB
file); each test works on its own copy. Later batches are stored the same way, one run
through the real Prefect flow. Demo ids (seeds/demo/README): story 1 is the Harbourton
sea wall breach (articles 1 CoastWire, 2 Northshore copy, 3 Bayline copy: duplicate
group 1; 4 Marrow Gazette, independent); story 7 the Norvik recall (7, 8, 9); story 6
the Fallowmere flood (5, 6); story 2 the marathon (10).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediawatch.cli import main
from storage.connection import reader

from .conftest import SEEDS
from .corpus import write_jsonl


def store(db: Path, records: list[dict], folder: Path) -> None:
    """One batch through the stages a run uses (no Prefect): extract, fingerprint, match,
    cluster, store."""
    from mediawatch import pipeline
    from mediawatch.config import load_settings
    from mediawatch.ingest.local import iter_local
    from mediawatch.prepare import prepare_batch

    path = write_jsonl(folder / f"batch{len(list(folder.glob('batch*')))}.jsonl", records)
    settings = load_settings(db=db)
    docs = list(iter_local([str(path)], settings.ingest))
    batch = [p for p in prepare_batch(docs, settings.extract) if hasattr(p, "band_keys")]
    assert len(batch) == len(records)
    run_id = pipeline.start_run(settings, [str(path)], "ingest")
    report = pipeline.store_batch(batch, [], run_id, settings)
    summary = pipeline.RunSummary(run_id=run_id, db=str(db))
    summary.add(report, documents=len(records), already_known=0)
    pipeline.finish_run(settings, summary)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from mediawatch import pipeline
    from mediawatch.config import load_settings
    from mediawatch.ingest.local import iter_local
    from mediawatch.prepare import prepare_batch

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    settings = load_settings(db=db)
    docs = list(iter_local([str(SEEDS)], settings.ingest))
    run_id = pipeline.start_run(settings, [str(SEEDS)], "ingest")
    report = pipeline.store_batch(prepare_batch(docs, settings.extract), [], run_id, settings)
    summary = pipeline.RunSummary(run_id=run_id, db=str(db))
    summary.add(report, documents=len(docs), already_known=0)
    pipeline.finish_run(settings, summary)
    assert story_of(db, 1) == story_of(db, 4) == 1 and group_of(db, 3) == 1
    return db


@pytest.fixture
def db(demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo, copy)
    return copy


def q(db: Path, sql: str, *params):
    with reader(db) as conn:
        return conn.execute(sql, list(params)).fetchall()


def story_of(db: Path, article: int) -> int:
    return q(db, "SELECT story_id FROM story_members WHERE article_id = ?", article)[0][0]


def group_of(db: Path, article: int) -> int | None:
    rows = q(db, "SELECT group_id FROM dup_members WHERE article_id = ?", article)
    return rows[0][0] if rows else None


def article_id(db: Path, url: str) -> int:
    return q(db, "SELECT article_id FROM articles WHERE url = ?", url)[0][0]


def text_of(db: Path, article: int) -> str:
    return q(db, "SELECT text FROM articles WHERE article_id = ?", article)[0][0]


def snapshot(db: Path) -> dict:
    """Memberships, story rows and profiles, groups: what undo must put back."""
    return {
        "members": q(
            db, "SELECT article_id, story_id, reason, score FROM story_members ORDER BY 1"
        ),
        "stories": q(
            db,
            "SELECT story_id, size, n_sources, n_independent, n_groups, first_date, last_date,"
            " origin_article_id,"
            " round(within_words, 6), first_published FROM stories"
            " WHERE merged_into IS NULL ORDER BY 1",
        ),
        "terms": q(
            db, "SELECT story_id, space, term, round(weight, 6) FROM story_terms ORDER BY ALL"
        ),
        "keys": q(db, "SELECT * FROM story_keys ORDER BY ALL"),
        "dups": q(
            db, "SELECT article_id, group_id, relation, via_article_id FROM dup_members ORDER BY 1"
        ),
        "groups": q(
            db, "SELECT group_id, origin_article_id, story_id, size FROM dup_groups ORDER BY 1"
        ),
    }


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args])
    out = capsys.readouterr()
    return code, out.out, out.err


def check_ok(db: Path, capsys) -> None:
    code, out, _ = cli(capsys, "check", "--db", str(db))
    assert code == 0 and "consistent" in out, out


def bridge(db: Path, n: int = 2, hour: int = 18) -> list[dict]:
    """New articles made of the Harbourton wire story's and the Marrow Gazette's
    paragraphs, alternately: each fits both, so a run that re-clusters them would put
    articles 1 and 4 back in one story."""
    one, four = text_of(db, 1).split("\n"), text_of(db, 4).split("\n")
    out = []
    for k in range(n):
        paras = [p for pair in zip(one[k::2], four[k::2], strict=False) for p in pair]
        out.append(
            {
                "url": f"https://bridge.example/harbourton-{hour}-{k}",
                "title": f"Harbourton after the sea wall breach ({k})",
                "text": "\n".join(paras),
                "published_at": f"2026-02-24T{hour + k:02d}:00:00",
                "source": f"Bridge Post {k}",
            }
        )
    return out


def test_split_stays_split_when_new_articles_bridge_the_parts(db: Path, tmp_path: Path, capsys):
    code, out, _ = cli(
        capsys,
        "story",
        "split",
        "1",
        "4",
        "--db",
        str(db),
        "--note",
        "an aftermath piece",
        "--by",
        "<b>ana</b>",
    )
    assert code == 0 and out.startswith(
        "correction 1: story 1 split: 1 article now in the new story"
    )
    new = story_of(db, 4)
    assert new != 1 and story_of(db, 1) == 1
    check_ok(db, capsys)

    store(db, bridge(db), tmp_path)  # each fits both parts
    bridges = [article_id(db, f"https://bridge.example/harbourton-18-{k}") for k in range(2)]
    assert story_of(db, 1) == 1 and story_of(db, 4) == new  # the parts stay apart
    assert {story_of(db, b) for b in bridges} <= {1, new}  # new articles join either part
    check_ok(db, capsys)

    code, out, _ = cli(capsys, "corrections", "--db", str(db), "--json")
    (c,) = json.loads(out)
    assert (
        c["kind"] == "story-split" and c["state"] == "active" and c["note"] == "an aftermath piece"
    )
    assert c["made_by"] == "<b>ana</b>" and c["made_via"] == "cli"
    assert c["what"] == f"story 1: article 4 to new story {new}"

    code, out, _ = cli(capsys, "corrections", "undo", "1", "--db", str(db))
    assert code == 0 and "correction 1 (story split) undone" in out
    assert story_of(db, 4) == 1
    check_ok(db, capsys)
    # undone, it binds no more: the next bridging batch may put everything together again
    store(db, bridge(db, hour=20), tmp_path)
    later = [article_id(db, f"https://bridge.example/harbourton-20-{k}") for k in range(2)]
    assert len({story_of(db, a) for a in [1, 4, *bridges, *later]}) == 1


def test_without_the_split_the_bridge_merges_the_parts(db: Path, tmp_path: Path, capsys):
    """The control: the same split with its constraint switched off in the database is
    undone by the same bridging batch, so the test above can fail."""
    assert cli(capsys, "story", "split", "1", "4", "--db", str(db))[0] == 0
    from storage.connection import transaction, writer

    with writer(db) as conn, transaction(conn):
        conn.execute("UPDATE corrections SET state = 'undone'")
    store(db, bridge(db), tmp_path)
    assert story_of(db, 4) == story_of(db, 1)


def test_merge_and_move_stay_as_made(db: Path, tmp_path: Path, capsys):
    assert cli(capsys, "story", "merge", "7", "6", "--db", str(db), "--note", "one beat")[0] == 0
    assert {story_of(db, a) for a in (5, 6, 7, 8, 9)} == {7}
    assert q(db, "SELECT merged_into, size FROM stories WHERE story_id = 6") == [(7, 0)]
    code, out, _ = cli(capsys, "article", "move", "10", "--to", "3", "--db", str(db))
    assert code == 0 and "article 10 moved from story 2 to story 3" in out
    check_ok(db, capsys)

    # New reports on each topic: re-clustering their neighbourhood from single articles
    # would take the Fallowmere flood out of the Norvik story and the marathon out of
    # the glacier story.
    texts = {a: text_of(db, a) for a in (5, 7, 10, 11)}
    store(
        db,
        [
            {
                "url": f"https://more.example/{a}",
                "title": f"More on {a}",
                "text": t,
                "published_at": f"2026-0{3 if a in (5, 7) else 4}-2{a % 7}T09:00:00",
                "source": f"More {a}",
            }
            for a, t in texts.items()
        ],
        tmp_path,
    )
    assert {story_of(db, a) for a in (5, 6, 7, 8, 9)} == {7}
    assert story_of(db, 10) == story_of(db, 11)  # without the move, 11 leaves 10 behind
    check_ok(db, capsys)


def test_detached_article_never_rejoins_its_group(db: Path, tmp_path: Path, capsys):
    code, out, _ = cli(capsys, "group", "detach", "3", "--db", str(db), "--note", "own story")
    assert code == 0 and "article 3 detached from group 1" in out
    assert group_of(db, 3) is None and group_of(db, 1) == group_of(db, 2) == 1
    assert story_of(db, 3) == 1  # it stays in its story
    # an exact copy of the detached text verifies against it and against the group's origin
    store(
        db,
        [
            {
                "url": "https://copy.example/bayline",
                "title": "Copy",
                "text": text_of(db, 3),
                "published_at": "2026-02-24T19:00:00",
                "source": "Copy Desk",
            }
        ],
        tmp_path,
    )
    copy = article_id(db, "https://copy.example/bayline")
    assert group_of(db, 3) is None or group_of(db, 3) != group_of(db, 1)
    assert group_of(db, copy) is not None  # the copy found a group (with 3, or with 1 and 2)
    check_ok(db, capsys)


def test_group_attach_verifies_explains_and_forces(db: Path, tmp_path: Path, capsys):
    # a copy of the wire story published long after the window: it stays apart
    store(
        db,
        [
            {
                "url": "https://late.example/wire",
                "title": "Late copy",
                "text": text_of(db, 1),
                "published_at": "2026-09-24T09:00:00",
                "source": "Late Wire",
            }
        ],
        tmp_path,
    )
    late = article_id(db, "https://late.example/wire")
    assert group_of(db, late) is None and story_of(db, late) != 1
    code, out, _ = cli(capsys, "group", "attach", str(late), "--to", "1", "--db", str(db), "--json")
    assert code == 0
    done = json.loads(out)
    assert done["detail"]["verified"] and done["detail"]["relation"] == "exact"
    assert group_of(db, late) == 1 and story_of(db, late) == 1  # to the group's story

    code, _, err = cli(capsys, "group", "attach", "4", "--to", "1", "--db", str(db))
    assert code == 1 and "does not verify against the group's origin 1" in err and "--force" in err
    assert "Traceback" not in err and group_of(db, 4) is None
    code, out, _ = cli(
        capsys,
        "group",
        "attach",
        "4",
        "--to",
        "1",
        "--db",
        str(db),
        "--force",
        "same wire, rewritten",
    )
    assert code == 0 and "forced" in out and group_of(db, 4) == 1
    check_ok(db, capsys)

    # An earlier copy of the origin re-anchors the group and re-verifies every member
    # against it: the forced member would be evicted, the analyst's attachment keeps it.
    store(
        db,
        [
            {
                "url": "https://early.example/wire",
                "title": "Early",
                "text": text_of(db, 1),
                "published_at": "2026-02-24T08:00:00",
                "source": "Early Wire",
            }
        ],
        tmp_path,
    )
    early = article_id(db, "https://early.example/wire")
    assert group_of(db, early) == group_of(db, 1) == group_of(db, 4)
    check_ok(db, capsys)

    # A revision of the forced member is re-verified against its group and fails again:
    # the analyst's attachment keeps it there all the same.
    url = q(db, "SELECT url FROM articles WHERE article_id = 4")[0][0]
    store(
        db,
        [
            {
                "url": url,
                "title": "Harbourton counts the cost",
                "text": text_of(db, 4) + "\nThe council said repairs would start in March.",
                "published_at": "2026-02-24T16:30:00",
                "source": "Marrow Gazette",
            }
        ],
        tmp_path,
    )
    assert q(db, "SELECT count(*) FROM article_revisions WHERE article_id = 4") == [(1,)]
    assert group_of(db, 4) == group_of(db, 1)
    check_ok(db, capsys)


def test_the_group_page_says_when_an_analyst_decided(db: Path, tmp_path: Path, capsys):
    import warnings

    with warnings.catch_warnings():  # Starlette prefers httpx2; httpx (Prefect's) works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from mediawatch.config import load_settings
    from mediawatch.web import app as web

    d = ["--db", str(db), "--note", "<b>same wire</b>, rewritten"]
    assert cli(capsys, "group", "attach", "4", "--to", "1", *d, "--force", "analyst")[0] == 0
    with TestClient(web.create_app(load_settings(db=db)), base_url="http://127.0.0.1") as c:
        page = c.get(f"/group/{group_of(db, 4)}", params={"a": 1, "b": 4}).text
        plain = c.get(f"/group/{group_of(db, 4)}", params={"a": 1, "b": 1}).text
    assert "An analyst decided</b> how A and B pair: kept in one duplicate group by " in page
    assert "&lt;b&gt;same wire&lt;/b&gt;, rewritten" in page and "<b>same wire" not in page
    assert "An analyst decided" not in plain


def test_undo_restores_the_previous_state(db: Path, capsys):
    before = snapshot(db)
    d = ["--db", str(db)]
    assert cli(capsys, "story", "split", "1", "4", *d)[0] == 0
    assert cli(capsys, "story", "merge", "7", "6", *d)[0] == 0
    assert cli(capsys, "article", "move", "10", "--to", "3", *d)[0] == 0
    assert cli(capsys, "group", "detach", "3", *d)[0] == 0
    assert cli(capsys, "group", "attach", "14", "--to", "1", *d, "--force", "test")[0] == 0
    assert snapshot(db) != before
    check_ok(db, capsys)
    for n in (5, 4, 3, 2, 1):
        code, _, err = cli(capsys, "corrections", "undo", str(n), *d)
        assert code == 0, err
    assert snapshot(db) == before
    check_ok(db, capsys)
    rows = json.loads(cli(capsys, "corrections", *d, "--json")[1])
    assert [r["state"] for r in rows] == ["undone"] * 5


def listed(db: Path, capsys, story: int) -> dict:
    """The story's stored counts, once they agree with what its page lists."""
    page = json.loads(cli(capsys, "story", str(story), "--db", str(db), "--json")[1])
    s = page["story"]
    assert s["n_independent"] == len(page["independent"]), page  # distinct texts
    assert s["n_groups"] == len(page["groups"]), page
    assert s["n_sources"] == len(page["sources"]), page
    assert s["size"] == len(page["articles"]), page
    listing = json.loads(cli(capsys, "stories", "--db", str(db), "--json")[1])
    assert [counts(r) for r in listing if r["story_id"] == story] == [counts(s)]
    return s


def counts(s: dict) -> tuple[int, int, int, int]:
    return s["size"], s["n_sources"], s["n_independent"], s["n_groups"]


def test_group_attach_detach_and_undo_recount_independent_articles(db: Path, capsys):
    d = ["--db", str(db)]
    assert counts(listed(db, capsys, 1)) == (4, 4, 2, 1)  # group 1 (1, 2, 3) and 4
    assert counts(listed(db, capsys, 6)) == (2, 2, 2, 0)  # 5 and 6
    assert counts(listed(db, capsys, 4)) == (2, 2, 1, 1)  # group 2 (12, 13)

    # attached from another story: story 1 gains an article and a source, not a text
    assert cli(capsys, "group", "attach", "5", "--to", "1", *d, "--force", "test")[0] == 0
    assert counts(listed(db, capsys, 1)) == (5, 5, 2, 1)
    assert counts(listed(db, capsys, 6)) == (1, 1, 1, 0)
    check_ok(db, capsys)
    assert cli(capsys, "corrections", "undo", "1", *d)[0] == 0
    assert counts(listed(db, capsys, 1)) == (4, 4, 2, 1)
    assert counts(listed(db, capsys, 6)) == (2, 2, 2, 0)
    check_ok(db, capsys)

    # attached within its story: one distinct text fewer
    assert cli(capsys, "group", "attach", "4", "--to", "1", *d, "--force", "test")[0] == 0
    assert counts(listed(db, capsys, 1)) == (4, 4, 1, 1)
    check_ok(db, capsys)
    assert cli(capsys, "corrections", "undo", "2", *d)[0] == 0
    assert counts(listed(db, capsys, 1)) == (4, 4, 2, 1)
    check_ok(db, capsys)

    # detached: one distinct text more
    assert cli(capsys, "group", "detach", "2", *d)[0] == 0
    assert counts(listed(db, capsys, 1)) == (4, 4, 3, 1)
    check_ok(db, capsys)
    assert cli(capsys, "corrections", "undo", "3", *d)[0] == 0
    assert counts(listed(db, capsys, 1)) == (4, 4, 2, 1)
    check_ok(db, capsys)

    # detached from a pair: the group dissolves
    assert cli(capsys, "group", "detach", "13", *d)[0] == 0
    assert group_of(db, 12) is None and counts(listed(db, capsys, 4)) == (2, 2, 2, 0)
    check_ok(db, capsys)
    assert cli(capsys, "corrections", "undo", "4", *d)[0] == 0
    assert group_of(db, 12) == 2 and counts(listed(db, capsys, 4)) == (2, 2, 1, 1)
    check_ok(db, capsys)


@pytest.mark.parametrize("column", ["n_independent", "n_sources", "n_groups"])
def test_check_finds_a_story_count_that_disagrees_with_its_articles(db: Path, capsys, column: str):
    check_ok(db, capsys)
    from storage.connection import transaction, writer

    with writer(db) as conn, transaction(conn):  # as a faulty writer would
        conn.execute(f"UPDATE stories SET {column} = {column} + 1 WHERE story_id = 1")
    code, out, _ = cli(capsys, "check", "--db", str(db))
    assert code == 1 and "1: stories whose numbers of sources, independent articles" in out


def test_the_upgrade_recounts_stories_a_correction_left_stale(db: Path, capsys) -> None:
    """Counts left stale by an older release's attach or detach are put right by schema
    version 15 on the next write (here `mediawatch migrate`)."""
    from storage.connection import transaction, writer

    with writer(db) as conn, transaction(conn):  # as the older release left them
        conn.execute("UPDATE stories SET n_independent = n_independent + 1 WHERE story_id = 1")
        conn.execute("DELETE FROM schema_migrations WHERE version >= 15")
    assert cli(capsys, "check", "--db", str(db))[0] == 1
    assert cli(capsys, "migrate", "--db", str(db))[0] == 0
    check_ok(db, capsys)


def test_corrections_survive_revision_reindex_and_vacuum(db: Path, tmp_path: Path, capsys):
    d = ["--db", str(db)]
    assert cli(capsys, "story", "split", "1", "4", *d)[0] == 0
    assert cli(capsys, "group", "detach", "3", *d)[0] == 0
    new = story_of(db, 4)
    url = q(db, "SELECT url FROM articles WHERE article_id = 4")[0][0]
    revised = text_of(db, 4) + "\nThe council said on Wednesday that repairs would start in March."
    store(
        db,
        [
            {
                "url": url,
                "title": "Harbourton counts the cost",
                "text": revised,
                "published_at": "2026-02-24T16:30:00",
                "source": "Marrow Gazette",
            }
        ],
        tmp_path,
    )
    assert q(db, "SELECT count(*) FROM article_revisions WHERE article_id = 4") == [(1,)]
    assert cli(capsys, "reindex", *d)[0] == 0
    assert cli(capsys, "vacuum", *d)[0] == 0
    assert story_of(db, 4) == new and story_of(db, 1) == 1 and group_of(db, 3) is None
    check_ok(db, capsys)
    store(db, bridge(db), tmp_path)
    assert story_of(db, 4) == new and story_of(db, 1) == 1
    check_ok(db, capsys)


def test_a_flow_run_respects_a_split(prefect_harness, db: Path, tmp_path: Path, capsys):
    assert cli(capsys, "story", "split", "1", "4", "--db", str(db))[0] == 0
    path = write_jsonl(tmp_path / "bridge.jsonl", bridge(db))
    assert main(["ingest", str(path), "--db", str(db)]) == 0
    assert story_of(db, 1) == 1 and story_of(db, 4) != 1
    check_ok(db, capsys)


def test_refusals_are_one_line_and_change_nothing(db: Path, capsys):
    before = snapshot(db)
    d = ["--db", str(db)]
    cases = [
        (["story", "merge", "1", "1"], "cannot be merged with itself"),
        (["story", "merge", "1", "99"], "no story 99"),
        (["story", "split", "1", "1", "2", "3", "4"], "at least one must stay"),
        (["story", "split", "1", "7"], "not in story 1: 7"),
        (["story", "split", "1", "2"], "duplicate group 1 would span two stories"),
        (["article", "move", "99", "--to", "1"], "no article 99"),
        (["article", "move", "4", "--to", "1"], "is in story 1 already"),
        (["group", "detach", "4"], "in no duplicate group"),
        (["group", "attach", "4", "--to", "99"], "no duplicate group 99"),
        (["group", "attach", "3", "--to", "1"], "in group 1 already"),
        (["corrections", "undo", "7"], "no correction 7"),
    ]
    for args, message in cases:
        code, _, err = cli(capsys, *args, *d)
        assert code == 1 and message in err and err.count("\n") == 1, (args, err)
    assert snapshot(db) == before
    # a correction that would break an earlier one is refused, naming it
    assert cli(capsys, "story", "split", "1", "4", *d)[0] == 0
    new = story_of(db, 4)
    code, _, err = cli(capsys, "article", "move", "4", "--to", "1", *d)
    assert code == 1 and "would undo correction 1 (story 1: article 4 to new story" in err
    assert "undo it first (`mediawatch corrections undo 1`)" in err
    code, _, err = cli(capsys, "story", "merge", "1", str(new), *d)
    assert code == 1 and "would undo correction 1" in err
    assert story_of(db, 4) == new


def test_check_finds_a_correction_that_no_longer_holds(db: Path, capsys):
    assert cli(capsys, "story", "split", "1", "4", "--db", str(db))[0] == 0
    from storage.connection import transaction, writer

    with writer(db) as conn, transaction(conn):  # as a faulty writer would
        conn.execute("UPDATE story_members SET story_id = 1 WHERE article_id = 4")
    code, out, _ = cli(capsys, "check", "--db", str(db))
    assert code == 1 and "1: analysts' splits whose parts share a story" in out


def test_explain_says_a_correction_decided(db: Path, capsys):
    d = ["--db", str(db)]
    assert cli(capsys, "story", "split", "1", "4", *d, "--note", "aftermath")[0] == 0
    report = json.loads(cli(capsys, "explain", "1", "4", *d, "--json")[1])
    assert (
        "kept in different stories (and groups) by correction 1 (story split by" in report["stored"]
    )
    assert "aftermath" in report["stored"]
    out = cli(capsys, "explain", "1", "4", *d)[1]
    assert "correction 1" in out
    art = json.loads(cli(capsys, "article", "4", *d, "--json")[1])
    assert "correction" in json.dumps(art)
