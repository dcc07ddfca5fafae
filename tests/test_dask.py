"""The scale-out path: extraction chunks on a Dask cluster through Prefect's Dask task
runner store the same result as this machine's worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.ingest import ingest_flow, run_ingest
from storage.connection import reader

from .conftest import SEEDS

REASON = "the `scale` extra (prefect-dask, dask[distributed]) is not installed"
pytest.importorskip("distributed", reason=REASON)
pytest.importorskip("prefect_dask", reason=REASON)


def stored(db: Path) -> dict[str, object]:
    """What a run stored, independent of ids: texts, groups and stories by origin."""
    with reader(db) as conn:
        articles = conn.execute(
            "SELECT origin, url, title, text_hash, published_at FROM articles ORDER BY origin"
        ).fetchall()
        relations = conn.execute(
            """SELECT a.origin, m.relation, o.origin FROM dup_members m
               JOIN articles a USING (article_id) JOIN dup_groups g USING (group_id)
               JOIN articles o ON o.article_id = g.origin_article_id ORDER BY 1"""
        ).fetchall()
        stories = conn.execute(
            """SELECT list(a.origin ORDER BY a.origin) FROM story_members s
               JOIN articles a USING (article_id) GROUP BY s.story_id ORDER BY 1"""
        ).fetchall()
        bands = conn.execute(
            """SELECT a.origin, count(*), sum(b.key % 1000003) FROM lsh_bands b
               JOIN articles a USING (article_id) GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    return {"articles": articles, "relations": relations, "stories": stories, "bands": bands}


def test_ingest_on_a_local_dask_cluster_stores_what_the_default_runner_stores(
    prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    monkeypatch.setenv("MEDIAWATCH_RUN_CHUNK_SIZE", "3")  # several chunk tasks on Dask
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = run_ingest(
            [str(SEEDS)], db=str(tmp_path / "dask.duckdb"), dask_address=cluster.scheduler_address
        )
    here = ingest_flow(sources=[str(SEEDS)], db=str(tmp_path / "here.duckdb"))
    assert on_dask.failures == here.failures == []
    assert on_dask.new_articles == here.new_articles > 3
    assert stored(tmp_path / "dask.duckdb") == stored(tmp_path / "here.duckdb")
    # the extraction went out as chunk tasks on Dask, not as one task feeding local workers
    assert prepare_tasks(tmp_path / "dask.duckdb") > 1
    assert prepare_tasks(tmp_path / "here.duckdb") == 1


def prepare_tasks(db: Path) -> int:
    """extract-fingerprint task runs of the database's (only) run, from Prefect's API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, TaskRunFilter

    with reader(db) as conn:
        flow_run_id = conn.execute("SELECT flow_run_id FROM runs").fetchone()[0]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id={"any_": [flow_run_id]}),
            task_run_filter=TaskRunFilter(name={"like_": "extract-fingerprint"}),
        )
    return len(runs)
