"""Match, cluster and store a batch in one transaction; skip what is stored unchanged.

Revisions of stored articles and the site boilerplate a host's pages share are handled
here too: both need the batch and the stored rows at once."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from mediawatch.cluster.stories import ArticleFeatures, Params, assign_batch
from mediawatch.config import Settings
from mediawatch.extract.html import SiteBoilerplate, line_hash
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.gcpause import gc_paused
from mediawatch.ingest.urls import host_of, url_key
from mediawatch.match.batch import NewArticle, fingerprint_from_keys, match_batch
from mediawatch.match.revise import reverify
from mediawatch.match.verify import line_keys
from mediawatch.pausepoint import pause
from mediawatch.pipeline.db import open_writer, utcnow
from mediawatch.pipeline.feeds import ItemUpdate, save_items
from mediawatch.pipeline.known import rejections, skip_known  # noqa: F401  (pipeline.skip_known)
from mediawatch.pipeline.summary import BatchReport
from mediawatch.records import Failure, Fingerprinted
from mediawatch.reindex import needed as reindex_needed
from mediawatch.reindex import reindex
from storage import articles as articles_db
from storage import dedup as dedup_db
from storage import rejected as rejected_db
from storage import runs as runs_db
from storage import search as search_db
from storage import sites as sites_db
from storage import stories as stories_db
from storage.connection import transaction

log = logging.getLogger(__name__)


def store_batch(
    batch: list[Fingerprinted],
    failures: list[Failure],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str] | None = None,
    items: list[ItemUpdate] | None = None,
) -> BatchReport:
    """Match, cluster and store one batch in a single transaction.

    ``items`` (feed items behind the batch) are recorded in the same transaction, so
    an item counts as done only once its article is stored.
    """
    report = BatchReport(failures=list(failures), extracted=len(batch))
    items = items or []
    revise_of = {u.doc_url: u.article_id for u in items if u.doc_url and u.article_id is not None}
    with gc_paused(), open_writer(settings) as conn, transaction(conn):
        if batch and reindex_needed(conn):  # stored by an older text analysis: bring it up
            log.info("reindexing stored articles for the current text analysis")
            reindex(conn)
        runs_db.record_failures(conn, run_id, failures)
        rejected_db.save(conn, rejections(failures, settings), run_id, utcnow())
        if batch:
            rejected_db.forget(conn, (url_key(f.article.url) for f in batch))
            _store(conn, batch, run_id, settings, raw_hashes or {}, report, revise_of)
            search_db.index_stored(conn, report.revised_article_ids)
        if items:
            save_items(conn, items, failures, report)
        pause("store")  # tests: a batch written, not committed
    pause("stored")  # tests: a batch committed
    return report


def _store(
    conn,
    batch: list[Fingerprinted],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
    revise_of: dict[str, int] | None = None,
) -> None:
    now = utcnow()
    window = timedelta(days=settings.match.window_days)
    known = articles_db.known(conn, (url_key(f.article.url) for f in batch))
    by_id = articles_db.known_by_id(conn, (revise_of or {}).values())
    fresh: list[Fingerprinted] = []
    revised: list[tuple[articles_db.Known, Fingerprinted]] = []
    seen: set[str | int] = set()
    for f in batch:
        key = url_key(f.article.url)
        k = known.get(key)
        if k is None and revise_of and f.article.original_url in revise_of:
            # a feed item known by its guid, now at another URL: the same article
            k = by_id.get(revise_of[f.article.original_url])
        if key in seen or (k is not None and k.article_id in seen):
            report.already_known += 1
        elif k is not None:
            revised.append((k, f))
            seen.add(k.article_id)
        else:
            fresh.append(f)
        seen.add(key)
    if revised:
        _revise(conn, revised, run_id, settings, raw_hashes, report, now)
    if not fresh:
        return
    if settings.extract.site_boilerplate_min_pages > 0:
        fresh = _drop_site_boilerplate(conn, fresh, settings.extract.site_boilerplate_min_pages)
    fresh.sort(key=lambda f: (f.article.lineage, f.article.url))  # ids in lineage order
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
                i,
                f.article.text,
                f.article.date,
                fingerprint_from_keys(f.band_keys, f.text_hash),
                f.article.lineage,
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
                a.summary,
                a.language_confidence,
                a.declared_language,
                a.published_precision,
                a.title_derived,
                a.canonical_url,
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
    search_db.add(
        conn,
        [
            (i, f.search_terms if f.search_terms is not None else _search_terms(f))
            for i, f in zip(ids, fresh, strict=True)
        ],
    )
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
            f.article.language,
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


def _search_terms(f: Fingerprinted) -> dict[str, int]:
    from mediawatch.search import index_terms

    return dict(index_terms(f.article.given_title, f.article.text)[0])


def _revise(
    conn,
    pairs: list[tuple[articles_db.Known, Fingerprinted]],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
    now: datetime,
) -> None:
    """Known articles that came back: a new revision when the text or title changed.

    The stored text lost the site's boilerplate lines; the new one loses them too
    before the comparison, or every refetch would look like a revision. A revised
    article is fingerprinted again (its LSH bands and terms replaced) and re-verified
    against its duplicate group (``mediawatch.match.revise``); it keeps its story.
    """
    fs = [f for _, f in pairs]
    if settings.extract.site_boilerplate_min_pages > 0:
        fs = _strip_site_boilerplate(conn, fs, settings.extract.site_boilerplate_min_pages)
    changed: list[int] = []
    for (k, _), f in zip(pairs, fs, strict=True):
        raw = raw_hashes.get(f.article.original_url)
        # a title derived now from an unchanged text is no change (stored without one)
        same_title = k.title == f.article.title or (f.article.title_derived and k.title is None)
        if k.text_hash == f.text_hash and same_title:
            report.already_known += 1
            if raw and raw != k.raw_hash:
                articles_db.touch_raw_hash(conn, k.article_id, raw)
            continue
        articles_db.revise(
            conn,
            k.article_id,
            f.article.title,
            f.article.text,
            f.text_hash,
            raw or "",
            run_id,
            now,
            title_derived=f.article.title_derived,
        )
        report.revisions += 1
        report.revised_article_ids.append(k.article_id)
        changed.append(k.article_id)
        if k.text_hash != f.text_hash:
            dedup_db.replace_bands(conn, k.article_id, f.band_keys)
            stories_db.replace_terms(conn, k.article_id, f.terms)
            group = dedup_db.group_texts(conn, k.article_id)
            if group is not None:
                change = reverify(group, k.article_id, dedup_db.furniture(conn))
                dedup_db.apply_change(conn, change, run_id, now)
    if changed:
        articles_db.refresh_stories(conn, articles_db.story_of(conn, changed).values())


def _site_lines(conn, fs: list[Fingerprinted], min_pages: int) -> tuple[SiteBoilerplate, set[str]]:
    """The stored page counts of the batch's lines, per host: (boilerplate, hosts)."""
    boilerplate = SiteBoilerplate(min_pages=min_pages)
    wanted = [
        (host, line_hash(line))
        for f in fs
        if (host := host_of(f.article.url))
        for line in f.article.text.split("\n")
    ]
    boilerplate.load_rows(sites_db.line_counts(conn, wanted))
    return boilerplate, {h for h, _ in wanted}


def _strip_site_boilerplate(conn, fs: list[Fingerprinted], min_pages: int) -> list[Fingerprinted]:
    """Drop the lines known as this host's boilerplate, without counting the page again."""
    boilerplate, _ = _site_lines(conn, fs, min_pages)
    out, changed = list(fs), []
    for i, f in enumerate(fs):
        host = host_of(f.article.url)
        lines = f.article.text.split("\n")
        kept = boilerplate.filter(host, lines) if host else lines
        if kept and len(kept) < len(lines):
            out[i] = replace(f, article=replace(f.article, text="\n".join(kept)))
            changed.append(i)
    if changed:
        for i, f in zip(changed, fingerprint_batch([out[i].article for i in changed]), strict=True):
            out[i] = f
    return out


def _drop_site_boilerplate(conn, fresh: list[Fingerprinted], min_pages: int) -> list[Fingerprinted]:
    """Drop lines this host has shown on ``min_pages`` pages: the archive knows its chrome.

    Counts persist in ``site_lines``; an article whose text changes is fingerprinted
    again (a few milliseconds).
    """
    boilerplate, hosts = _site_lines(conn, fresh, min_pages)
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
    sites_db.save(conn, [r for r in boilerplate.rows() if r[0] in hosts])
    return out
