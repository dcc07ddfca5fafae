"""The ingest flow: sources -> extract -> fingerprint -> match, cluster and store.

Work goes through in batches (``run.batch_size``): each batch is one task per
stage (a task per article would cost more in overhead than the work itself), and
each batch is stored in one transaction.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import flows  # noqa: F401  (sets Prefect's environment before Prefect loads)
from mediawatch import pipeline
from mediawatch.config import Settings, load_settings
from mediawatch.extract import extract_batch
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.records import Article, Failure, Fingerprinted, RawDocument


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(docs: list[RawDocument], settings: Settings) -> list[Article | Failure]:
    return extract_batch(docs, settings.extract, workers=settings.worker_count)


@task(name="fingerprint", cache_policy=NO_CACHE)
def fingerprint_task(articles: list[Article]) -> list[Fingerprinted]:
    return fingerprint_batch(articles)


@task(name="match-cluster-store", cache_policy=NO_CACHE)
def store_task(
    batch: list[Fingerprinted],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
) -> pipeline.BatchReport:
    return pipeline.store_batch(batch, failures, run_id, settings, raw_hashes)


@task(name="skip-known", cache_policy=NO_CACHE)
def skip_known_task(docs: list[RawDocument], settings: Settings) -> tuple[list[RawDocument], int]:
    return pipeline.skip_known(docs, settings)


@flow(name="mediawatch-ingest", log_prints=False)
def ingest_flow(
    sources: list[str], db: str | None = None, config: str | None = None, kind: str = "ingest"
) -> pipeline.RunSummary:
    """Ingest local sources (files, folders, JSONL, CSV) into the database."""
    settings = load_settings(config, db=db)
    run_id = pipeline.start_run(settings, sources, kind, flow_run_id=str(flow_run.id or ""))
    summary = pipeline.RunSummary(run_id=run_id, db=str(settings.db_path))
    try:
        for docs, failures in pipeline.batches(sources, settings):
            read = len(docs) + len(failures)
            docs, known = skip_known_task(docs, settings)
            extracted = extract_task(docs, settings)
            articles = [a for a in extracted if isinstance(a, Article)]
            failures += [f for f in extracted if isinstance(f, Failure)]
            batch = fingerprint_task(articles)
            raw = {d.url: pipeline.raw_hash(d) for d in docs}
            report = store_task(batch, failures, run_id, settings, raw)
            summary.add(report, documents=read, already_known=known)
    except BaseException as exc:
        pipeline.finish_run(settings, summary, error=f"{type(exc).__name__}: {exc}")
        raise
    pipeline.finish_run(settings, summary)
    return summary
