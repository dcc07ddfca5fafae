"""The retention flow: prune old texts, compact the file (`mediawatch vacuum`, and the
nightly deployment of `mediawatch serve` when retention.prune_text_after_days is set)."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

import flows  # noqa: F401  (sets Prefect's environment before Prefect loads)
from mediawatch import pipeline
from mediawatch.config import load_settings


@flow(name="mediawatch-vacuum", log_prints=False)
def vacuum_flow(
    db: str | None = None,
    config: str | None = None,
    prune_days: int | None = None,
    compact: bool = True,
) -> dict:
    """Prune the texts of closed stories older than the retention period (keeping
    their metadata, memberships and fingerprints), then compact the database file."""
    settings = load_settings(config, db=db)
    report = pipeline.vacuum(
        settings, prune_days, compact_file=compact, flow_run_id=str(flow_run.id or "")
    )
    counts = report.counts()
    create_markdown_artifact(
        key="mediawatch-vacuum",
        markdown=(
            f"# mediawatch vacuum (run {report.run_id})\n\n"
            f"Texts pruned: {counts['pruned_articles']} articles, "
            f"{counts['pruned_revisions']} earlier revisions, in {counts['pruned_stories']} "
            f"stories (retention {report.prune_days} days; 0: no pruning).\n\n"
            f"File: {counts['bytes_before']} bytes before, {counts['bytes_after']} after.\n"
        ),
        description=f"Vacuum run {report.run_id}",
    )
    return counts
