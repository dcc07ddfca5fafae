"""The pipeline's glue between stages, as plain functions the flow calls as tasks.

Per batch: skip what is stored unchanged -> extract -> fingerprint ->
match, cluster and store in one transaction (``store_batch``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from mediawatch.cluster.stories import ArticleFeatures, Params, assign_batch
from mediawatch.config import Settings
from mediawatch.extract.html import SiteBoilerplate, line_hash
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.ingest.local import iter_local
from mediawatch.ingest.urls import host_of, url_key
from mediawatch.match.batch import NewArticle, fingerprint_from_keys, match_batch
from mediawatch.match.verify import line_keys
from mediawatch.records import Failure, Fingerprinted, RawDocument
from storage import articles as articles_db
from storage import dedup as dedup_db
from storage import runs as runs_db
from storage import search as search_db
from storage import sites as sites_db
from storage import stories as stories_db
from storage.connection import reader, transaction, writer


@dataclass
class BatchReport:
    """What one stored batch changed."""

    new_articles: int = 0
    already_known: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    revised_article_ids: list[int] = field(default_factory=list)


@dataclass
class RunSummary:
    """What a whole run changed; printed by `mediawatch ingest` and kept in `runs`."""

    run_id: int
    db: str
    documents: int = 0
    new_articles: int = 0
    already_known: int = 0
    exact_copies: int = 0
    revisions: int = 0
    new_groups: int = 0
    grown_groups: int = 0
    new_stories: int = 0
    grown_stories: int = 0
    failures: list[Failure] = field(default_factory=list)
    new_article_ids: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def add(self, report: BatchReport, documents: int, already_known: int = 0) -> None:
        self.documents += documents
        self.already_known += already_known + report.already_known
        for name in (
            "new_articles",
            "exact_copies",
            "revisions",
            "new_groups",
            "grown_groups",
            "new_stories",
            "grown_stories",
        ):
            setattr(self, name, getattr(self, name) + getattr(report, name))
        self.failures.extend(report.failures)
        self.new_article_ids.extend(report.new_article_ids)
        self.elapsed = time.monotonic() - self.started

    def counts(self) -> dict[str, int | float]:
        return {
            "documents": self.documents,
            "new_articles": self.new_articles,
            "already_known": self.already_known,
            "exact_copies": self.exact_copies,
            "revisions": self.revisions,
            "new_groups": self.new_groups,
            "grown_groups": self.grown_groups,
            "new_stories": self.new_stories,
            "grown_stories": self.grown_stories,
            "failures": len(self.failures),
            "elapsed_seconds": round(self.elapsed, 3),
        }


def raw_hash(doc: RawDocument) -> str:
    """Fingerprint of what the source delivered: unchanged items are not extracted again."""
    h = hashlib.blake2b(digest_size=16)
    content = doc.content if isinstance(doc.content, bytes) else doc.content.encode("utf-8")
    for part in (content, (doc.title or "").encode("utf-8")):
        h.update(part)
        h.update(b"\x00")
    return h.hexdigest()


def batches(
    sources: list[str], settings: Settings
) -> Iterator[tuple[list[RawDocument], list[Failure]]]:
    """Source items in batches of ``run.batch_size`` documents, with their failures."""
    docs: list[RawDocument] = []
    failures: list[Failure] = []
    for item in iter_local(sources, settings.ingest):
        if isinstance(item, Failure):
            failures.append(item)
        else:
            docs.append(item)
        if len(docs) >= settings.run.batch_size:
            yield docs, failures
            docs, failures = [], []
    if docs or failures:
        yield docs, failures


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _writer(settings: Settings):
    return writer(settings.db_path, wait=settings.storage.writer_wait_seconds)


def start_run(settings: Settings, sources: list[str], kind: str, flow_run_id: str = "") -> int:
    with _writer(settings) as conn, transaction(conn):
        return runs_db.start_run(conn, kind, sources, flow_run_id)


def finish_run(settings: Settings, summary: RunSummary, error: str | None = None) -> None:
    summary.elapsed = time.monotonic() - summary.started
    with _writer(settings) as conn, transaction(conn):
        runs_db.finish_run(conn, summary.run_id, summary.counts(), error)


def skip_known(docs: list[RawDocument], settings: Settings) -> tuple[list[RawDocument], int]:
    """Drop items stored before with the same content: nothing to extract again."""
    if not docs or not settings.db_path.exists():
        return docs, 0
    with reader(settings.db_path, wait=settings.storage.reader_wait_seconds) as conn:
        known = articles_db.known(conn, (url_key(d.url) for d in docs))
    fresh = [
        d for d in docs if (k := known.get(url_key(d.url))) is None or k.raw_hash != raw_hash(d)
    ]
    return fresh, len(docs) - len(fresh)


def store_batch(
    batch: list[Fingerprinted],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str] | None = None,
) -> BatchReport:
    """Match, cluster and store one batch in a single transaction."""
    report = BatchReport(failures=list(failures))
    with _writer(settings) as conn, transaction(conn):
        runs_db.record_failures(conn, run_id, failures)
        if batch:
            _store(conn, batch, run_id, settings, raw_hashes or {}, report)
            search_db.index_stored(conn, report.new_article_ids + report.revised_article_ids)
    return report


def _store(
    conn,
    batch: list[Fingerprinted],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
) -> None:
    now = _now()
    window = timedelta(days=settings.match.window_days)
    known = articles_db.known(conn, (url_key(f.article.url) for f in batch))
    fresh: list[Fingerprinted] = []
    seen: set[str] = set()
    for f in batch:
        key = url_key(f.article.url)
        raw = raw_hashes.get(f.article.original_url)
        if key in seen:
            report.already_known += 1
        elif key in known:
            k = known[key]
            if k.text_hash == f.text_hash and k.title == f.article.title:
                report.already_known += 1
                if raw and raw != k.raw_hash:
                    articles_db.touch_raw_hash(conn, k.article_id, raw)
            else:
                articles_db.revise(
                    conn,
                    k.article_id,
                    f.article.title,
                    f.article.text,
                    f.text_hash,
                    raw or "",
                    run_id,
                    now,
                )
                report.revisions += 1
                report.revised_article_ids.append(k.article_id)
        else:
            fresh.append(f)
        seen.add(key)
    if not fresh:
        return
    if settings.extract.site_boilerplate_min_pages > 0:
        fresh = _drop_site_boilerplate(conn, fresh, settings.extract.site_boilerplate_min_pages)
    fresh.sort(key=lambda f: (f.article.date, f.article.fetched_at, f.article.url))
    ids = articles_db.next_ids(conn, len(fresh))

    # Match: stored candidates through the LSH index, within the window.
    dates = [f.article.date for f in fresh]
    since, until = (min(dates) - window).date(), (max(dates) + window).date()
    keys = [k for f in fresh for k in f.band_keys]
    candidates = dedup_db.candidate_ids(conn, keys, since, until)
    stored, groups = dedup_db.load_neighbourhood(conn, candidates)
    lines = {k for f in fresh for k in line_keys(f.article.text)}
    outcome = match_batch(
        [
            NewArticle(
                i, f.article.text, f.article.date, fingerprint_from_keys(f.band_keys, f.text_hash)
            )
            for i, f in zip(ids, fresh, strict=True)
        ],
        stored,
        groups,
        dedup_db.line_groups(conn, lines),
        dedup_db.furniture(conn),
    )
    articles_db.insert(
        conn,
        [
            (
                i,
                a.url,
                url_key(a.url),
                a.original_url,
                a.guid,
                a.title,
                a.text,
                f.text_hash,
                raw_hashes.get(a.original_url),
                len(a.text.split()),
                a.author,
                a.source,
                a.language,
                a.extractor,
                a.published_at,
                a.fetched_at,
                a.date,
                a.origin,
                run_id,
                now,
            )
            for i, f in zip(ids, fresh, strict=True)
            for a in [f.article]
        ],
    )
    dedup_db.add_bands(
        conn,
        [
            (kind, key, i, f.article.date.date())
            for i, f in zip(ids, fresh, strict=True)
            for kind, key in f.band_keys
        ],
    )
    dedup_db.save(conn, outcome, run_id, now)
    report.new_articles = len(fresh)
    report.new_article_ids = ids
    report.new_groups, report.grown_groups = outcome.new_groups, outcome.grown_groups
    report.exact_copies = outcome.exact_copies

    # Cluster: the batch joins stored stories (or starts new ones); a duplicate
    # group always stays inside one story.
    feats = [
        ArticleFeatures(
            str(i),
            f.terms.get("words", {}),
            f.terms.get("entities", {}),
            f.terms.get("numbers", {}),
            f.article.published_at,
        )
        for i, f in zip(ids, fresh, strict=True)
    ]
    must_link = [[str(m.article_id) for m in g.members] for g in outcome.groups]
    linked_stored = {m.article_id for g in outcome.groups for m in g.members} - set(ids)
    params = Params(window_days=float(settings.match.window_days))
    loaded = stories_db.load(
        conn,
        feats,
        params,
        min(dates) - window,
        also=set(articles_db.story_of(conn, linked_stored).values()),
    )
    before = dict(loaded.index.story_of)
    assignments = assign_batch(feats, loaded.index, must_link=must_link)
    touched = stories_db.save(conn, loaded, feats, run_id, now)
    merged = stories_db.absorbed(loaded.index)
    memberships = [
        articles_db.Membership(
            int(a.article_id),
            a.story_id,
            a.reason,
            a.score,
            {
                "space_scores": a.space_scores,
                "time_factor": a.time_factor,
                "threshold": a.threshold,
                "fit": a.fit,
                "margin": a.margin,
                "runner_up": a.runner_up,
            },
        )
        for a in assignments
    ]
    for aid, sid in loaded.index.story_of.items():
        if aid in before and before[aid] != sid:
            reason = "merged" if before[aid] in merged else "moved"
            memberships.append(articles_db.Membership(int(aid), sid, reason, None, None))
    articles_db.set_memberships(conn, memberships, run_id, now)
    articles_db.mark_merged(conn, merged, now)
    articles_db.refresh_stories(conn, touched)
    old_ids = set(loaded.loaded_story_ids)
    report.new_stories = len(touched - old_ids)
    report.grown_stories = len({a.story_id for a in assignments if a.story_id in old_ids})


def _drop_site_boilerplate(conn, fresh: list[Fingerprinted], min_pages: int) -> list[Fingerprinted]:
    """Drop lines this host has shown on ``min_pages`` pages: the archive knows its chrome.

    Counts persist in ``site_lines``; an article whose text changes is fingerprinted
    again (a few milliseconds).
    """
    boilerplate = SiteBoilerplate(min_pages=min_pages)
    wanted = [
        (host, line_hash(line))
        for f in fresh
        if (host := host_of(f.article.url))
        for line in f.article.text.split("\n")
    ]
    boilerplate.load_rows(sites_db.line_counts(conn, wanted))
    out: list[Fingerprinted] = []
    changed: list[int] = []
    for f in fresh:
        host = host_of(f.article.url)
        if not host:
            out.append(f)
            continue
        lines = f.article.text.split("\n")
        boilerplate.observe(host, lines)
        kept = boilerplate.filter(host, lines)
        if kept and len(kept) < len(lines):
            changed.append(len(out))
            f = replace(f, article=replace(f.article, text="\n".join(kept)))
        out.append(f)
    if changed:
        again = fingerprint_batch([out[i].article for i in changed])
        for i, f in zip(changed, again, strict=True):
            out[i] = f
    hosts = {h for h, _ in wanted}
    sites_db.save(conn, [r for r in boilerplate.rows() if r[0] in hosts])
    return out
