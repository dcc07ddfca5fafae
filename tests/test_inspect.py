"""Inspecting from the command line: story filters and sorts, story detail, search, diff,
exports of stories and memberships. On the seeds plus two hostile articles (16 articles)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest

from mediawatch.cli import main


@pytest.fixture(scope="module")
def db(inspect_db: Path) -> str:
    return str(inspect_db)


def run_json(capsys, *args: str):
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def titles(rows) -> list[str]:
    return [r["title"] for r in rows]


def test_stories_default_and_min_size(db: str, capsys) -> None:
    stories = run_json(capsys, "stories", "--db", db)
    assert len(stories) == 8
    assert [s["size"] for s in stories] == sorted((s["size"] for s in stories), reverse=True)
    assert [s["size"] for s in run_json(capsys, "stories", "--db", db, "--min-size", "3")] == [4, 3]


def test_stories_by_source_and_time_range(db: str, capsys) -> None:
    (harbourton,) = run_json(capsys, "stories", "--db", db, "--source", "BAYLINE")
    assert harbourton["title"].startswith("Sea wall breach") and harbourton["size"] == 4
    spring = run_json(
        capsys, "stories", "--db", db, "--since", "2026-03-01", "--until", "2026-04-30"
    )
    assert sorted(s["size"] for s in spring) == [1, 2, 3]  # marathon, other flood, recall
    # a bare date as the end of the range takes that whole day
    assert len(run_json(capsys, "stories", "--db", db, "--until", "2026-02-24")) == 1
    assert run_json(capsys, "stories", "--db", db, "--until", "2026-02-23") == []
    assert main(["stories", "--db", db, "--since", "last tuesday"]) == 1
    assert "cannot read the time" in capsys.readouterr().err


def test_stories_by_search_sorted_by_relevance(db: str, capsys) -> None:
    found = run_json(capsys, "stories", "--db", db, "-q", "flooded")
    assert len(found) == 2
    assert {s["matching"] for s in found} == {4, 2}
    assert found[0]["relevance"] >= found[1]["relevance"] > 0
    by_size = run_json(capsys, "stories", "--db", db, "-q", "flooded", "--sort", "size")
    assert [s["size"] for s in by_size] == [4, 2]
    assert run_json(capsys, "stories", "--db", db, "-q", '"wall sea"') == []


def test_stories_by_recency_and_growth(db: str, capsys) -> None:
    recent = run_json(capsys, "stories", "--db", db, "--sort", "recent")
    lasts = [s["last_date"] for s in recent]
    assert lasts == sorted(lasts, reverse=True)
    grown = run_json(
        capsys, "stories", "--db", db, "--sort", "growth", "--until", "2026-03-07",
        "--growth-hours", "48",
    )  # fmt: skip
    assert [(s["size"], s["growth"]) for s in grown] == [(2, 2), (4, 0)]


def test_story_shows_timeline_groups_sources_and_independent_articles(db: str, capsys) -> None:
    (a,) = run_json(capsys, "stories", "--db", db, "--source", "bayline")
    detail = run_json(capsys, "story", str(a["story_id"]), "--db", db)
    articles = detail["articles"]
    assert articles[0]["article_id"] == detail["story"]["origin_article_id"]
    assert articles[0]["source"] == "CoastWire News"
    assert [x["date"] for x in articles] == sorted(x["date"] for x in articles)
    (group,) = detail["groups"]
    assert [m["relation"] for m in group["members"]] == ["origin", "near_copy", "near_copy"]
    assert all(m["decision"]["scores"] for m in group["members"][1:])
    assert [x["source"] for x in detail["independent"]] == ["CoastWire News", "Marrow Gazette"]
    assert {s["source"]: s["copies"] for s in detail["sources"]} == {
        "CoastWire News": 0,
        "Northshore Herald": 1,
        "Bayline Daily": 1,
        "Marrow Gazette": 0,
    }
    assert main(["story", str(a["story_id"]), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "story origin" in out and "Independent articles" in out and "Sources" in out


def test_a_story_source_that_is_unknown_says_so(db: str, capsys) -> None:
    """An article without a source counts as a source of its own (its URL), as
    stories.n_sources counts; the Sources table says that no source is known."""
    capsys.readouterr()
    assert main(["export", "--db", db, "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    unnamed = next(r for r in rows if r["source"] is None)
    detail = run_json(capsys, "story", str(unnamed["story_id"]), "--db", db)
    urls = {r["url"] for r in rows if r["source"] is None}
    assert all(s["named"] == (s["source"] not in urls) for s in detail["sources"])
    assert any(not s["named"] for s in detail["sources"])
    assert main(["story", str(unnamed["story_id"]), "--db", db]) == 0
    assert "– (no source:" in capsys.readouterr().out


def test_search_command(db: str, capsys) -> None:
    hits = run_json(capsys, "search", "battery recall", "--db", db)
    assert len(hits) == 3 and all("text" not in h for h in hits)
    assert all("recall" in h["snippet"].lower() for h in hits)
    assert run_json(capsys, "search", "battery", "--db", db, "--since", "2026-03-12") != hits
    assert main(["search", "the", "--db", db]) == 1
    assert "nothing to search for" in capsys.readouterr().err
    assert main(["search", "batteries", "--db", db]) == 0
    assert "Articles matching 'batteries'" in capsys.readouterr().out


def _seed_pair(db: str, capsys) -> tuple[int, int]:
    groups = run_json(capsys, "dupes", "--db", db)
    rewrite = next(g for g in groups if any(m["relation"] == "rewrite" for m in g["members"]))
    a, b = (m["article_id"] for m in rewrite["members"])
    return a, b


def test_diff_side_by_side_unified_and_json(db: str, capsys) -> None:
    a, b = _seed_pair(db, capsys)
    report = run_json(capsys, "diff", str(a), str(b), "--db", db)
    assert report["a"]["article_id"] == a and report["counts"]["changed"] >= 10
    shared = [p for row in report["diff"]["rows"] if row["a"] for p in row["a"]["shared"]]
    assert any("international embarrassment on human rights issues" in p for p in shared)
    assert main(["diff", str(a), str(b), "--db", db, "--width", "140"]) == 0
    side = capsys.readouterr().out
    assert f"A: article {a}" in side and "changed" in side
    assert main(["diff", str(a), str(b), "--db", db, "--unified"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("- ") for ln in lines) and any(ln.startswith("+ ") for ln in lines)
    assert main(["diff", str(a), "99999", "--db", db]) == 1
    assert "no such article: 99999" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_stories_and_members(db: str, tmp_path: Path, fmt: str, capsys) -> None:
    reader = {"jsonl": "read_json", "csv": "read_csv", "parquet": "read_parquet"}[fmt]
    conn = duckdb.connect()
    stories = tmp_path / f"stories.{fmt}"
    assert main(["export", "--db", db, "--what", "stories", "-o", str(stories)]) == 0
    assert "exported 8 stories" in capsys.readouterr().err
    rows = conn.execute(
        f"SELECT story_id, size, origin_url, n_independent FROM {reader}('{stories}')"
    ).fetchall()
    assert len(rows) == 8 and sum(r[1] for r in rows) == 16 and all(r[2] for r in rows)
    members = tmp_path / f"members.{fmt}"
    assert main(["export", "--db", db, "--what", "members", "-o", str(members)]) == 0
    rows = conn.execute(
        f"""SELECT article_id, story_id, relation, decision, story_scores
            FROM {reader}('{members}') ORDER BY article_id"""
    ).fetchall()
    assert len(rows) == 16
    assert {r[1] for r in rows} == {s[0] for s in conn.execute(
        f"SELECT story_id FROM {reader}('{stories}')").fetchall()}  # fmt: skip
    grouped = [r for r in rows if r[2] is not None]
    assert len(grouped) == 7  # three groups: 3 + 2 + 2 members
    decisions = [r[3] for r in grouped if r[2] != "origin"]
    if fmt == "jsonl":  # nested objects in JSON; JSON text in CSV and Parquet
        assert all(isinstance(d, dict) for d in decisions)
    else:
        decisions = [json.loads(d) for d in decisions]
    assert all("reason" in d for d in decisions)


def test_export_members_to_stdout(db: str, capsys) -> None:
    capsys.readouterr()
    assert main(["export", "--db", db, "--what", "members"]) == 0
    rows = [json.loads(line) for line in io.StringIO(capsys.readouterr().out)]
    assert len(rows) == 16 and {"story_id", "relation", "story_reason"} <= set(rows[0])


def test_ui_needs_a_database(tmp_path: Path, capsys) -> None:
    assert main(["ui", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "no database at" in capsys.readouterr().err


def test_the_documented_example_queries_run(db: str) -> None:
    """docs/schema.md is a user-facing interface: its example queries must keep working."""
    from .conftest import ROOT

    doc = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    examples = doc[doc.index("## Example queries") :]
    sql = examples[examples.index("```sql") + 6 : examples.rindex("```")]
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    assert len(statements) >= 8
    conn = duckdb.connect(db, read_only=True)
    try:
        for statement in statements:
            conn.execute(statement).fetchall()
    finally:
        conn.close()
