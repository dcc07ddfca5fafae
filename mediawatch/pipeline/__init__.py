"""The pipeline's glue between stages, as plain functions the flow calls as tasks.

Per batch: skip what is stored unchanged (``store``) -> extract and fingerprint in worker
processes (``mediawatch.prepare``) -> match, cluster and store in one transaction
(``store.store_batch``). Around it: local sources in batches (``sources``), feeds
(``feeds``), run records and retention (``runs``), and the counts they report
(``summary``).

The names below load their module when first used: a run that finds nothing new
(``mediawatch.nothing_new``) reads runs and summaries without importing the stages.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "feeds": (
        "ItemUpdate",
        "PageBatch",
        "feed_sources",
        "fetch_feed_pages",
        "finish_feeds",
        "page_batch",
        "plan_feed_items",
        "poll_feeds",
    ),
    "runs": (
        "VacuumReport",
        "dead_runs",
        "ended_by_signal",
        "finish_run",
        "run_changes",
        "start_run",
        "vacuum",
    ),
    "sources": ("batches", "is_web_url"),
    "store": ("skip_known", "store_batch"),
    "summary": ("BatchReport", "RunSummary"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

if TYPE_CHECKING:
    from mediawatch.pipeline.feeds import (
        ItemUpdate,
        PageBatch,
        feed_sources,
        fetch_feed_pages,
        finish_feeds,
        page_batch,
        plan_feed_items,
        poll_feeds,
    )
    from mediawatch.pipeline.runs import (
        VacuumReport,
        dead_runs,
        ended_by_signal,
        finish_run,
        run_changes,
        start_run,
        vacuum,
    )
    from mediawatch.pipeline.sources import batches, is_web_url
    from mediawatch.pipeline.store import skip_known, store_batch
    from mediawatch.pipeline.summary import BatchReport, RunSummary


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BatchReport",
    "ItemUpdate",
    "PageBatch",
    "RunSummary",
    "VacuumReport",
    "batches",
    "dead_runs",
    "ended_by_signal",
    "feed_sources",
    "fetch_feed_pages",
    "finish_feeds",
    "finish_run",
    "is_web_url",
    "page_batch",
    "plan_feed_items",
    "poll_feeds",
    "run_changes",
    "skip_known",
    "start_run",
    "store_batch",
    "vacuum",
]
