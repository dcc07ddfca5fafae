"""What a run changed: the Prefect artifact each flow run publishes, and `mediawatch
check` on a consistent and on a damaged database."""

from __future__ import annotations

import json
from pathlib import Path

from flows.ingest import ingest_flow
from mediawatch.cli import main
from mediawatch.records import Failure
from mediawatch.report import md, run_markdown
from storage.connection import reader, transaction, writer
from storage.runs import GroupChange, RunChanges, StoryChange

from .conftest import SEEDS
from .corpus import articles, write_jsonl


def test_each_flow_run_publishes_what_changed(prefect_harness, tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    db = tmp_path / "artifacts.duckdb"
    first = ingest_flow(sources=[str(SEEDS)], db=str(db))
    event = articles(n_events=1)
    later = write_jsonl(tmp_path / "later.jsonl", event[:1])  # a new event
    (tmp_path / "bad.jsonl").write_text("{broken\n")
    second = ingest_flow(sources=[str(later), str(tmp_path / "bad.jsonl")], db=str(db))
    with reader(db) as conn:
        flow_runs = dict(conn.execute("SELECT run_id, flow_run_id FROM runs").fetchall())
    with get_client(sync_client=True) as client:
        found = {
            run_id: client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[fid]))
            )
            for run_id, fid in flow_runs.items()
        }
    (a,) = found[first.run_id]
    assert a.key == "mediawatch-run-summary" and a.type == "markdown"
    assert "## New stories (7)" in a.data and "Sea wall breach floods 312 homes" in a.data
    assert "## Largest duplicate groups touched (2)" in a.data
    (b,) = found[second.run_id]
    assert "## New stories (1)" in b.data and "## Failures (1)" in b.data
    assert "malformed JSON" in b.data


def test_the_summary_is_plain_text_in_markdown() -> None:
    """Titles and reasons come from the web: no links, markup or HTML get through."""
    hostile = "<script>x</script> [click](javascript:alert(1)) **bold** | pipe"
    text = run_markdown(
        RunChanges(
            run_id=3,
            new_stories=[StoryChange(1, hostile, 2, 2)],
            n_new_stories=12,
            grown_stories=[],
            n_grown_stories=0,
            groups=[GroupChange(4, 1, 3, 1, hostile)],
            n_groups=1,
            failures=[Failure("feed.xml item 2", "fetch", hostile)],
            n_failures=1,
        ),
        {"documents": 5, "new_articles": 2, "failed_by_stage": {"fetch": 1}},
    )
    assert "<script>" not in text and "](" not in text and "**bold**" not in text
    assert r"\<script\>" in text and r"\| pipe" in text
    assert "… and 11 more." in text  # 12 new stories, 1 shown
    assert md(None) == "–" and md("a" * 200, 10) == "a" * 9 + "…"


def test_check_finds_damage(tmp_path: Path, capsys) -> None:
    db = tmp_path / "check.duckdb"
    path = write_jsonl(tmp_path / "few.jsonl", articles(n_events=2))
    from mediawatch import pipeline
    from mediawatch.config import load_settings
    from mediawatch.ingest.local import iter_local
    from mediawatch.prepare import prepare_batch

    settings = load_settings(db=db)
    docs = list(iter_local([str(path)], settings.ingest))
    batch = prepare_batch(docs, settings.extract)
    run_id = pipeline.start_run(settings, [str(path)], "ingest")
    pipeline.store_batch(batch, [], run_id, settings)
    assert main(["check", "--db", str(db), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["articles"] == 10 and result["groups"] == 2

    with writer(db) as conn, transaction(conn):
        conn.execute("DELETE FROM story_members WHERE article_id = 1")
        conn.execute("UPDATE dup_groups SET size = 5")
    assert main(["check", "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEMS" in out
    assert "1: articles without exactly one story membership" in out
    assert "2: duplicate groups whose size is not their number of members" in out
