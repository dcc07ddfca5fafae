"""Match, cluster and store a batch in one transaction; skip what is stored unchanged.

Revisions of stored articles and the site boilerplate a host's pages share are handled
here too: both need the batch and the stored rows at once."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from mediawatch import constraints
from mediawatch.cluster.stories import ArticleFeatures, Assignment, Params, assign_batch
from mediawatch.config import Settings
from mediawatch.extract.html import SiteBoilerplate, line_hash
from mediawatch.fingerprint import fingerprint_batch, line_keys
from mediawatch.gcpause import gc_paused
from mediawatch.ingest.urls import host_of, site_of, url_key
from mediawatch.match.batch import MatchOutcome, NewArticle, fingerprint_from_keys, match_batch
from mediawatch.match.revise import reverify
from mediawatch.match.storymates import (
    RIVAL_MIN_FIT,
    StoryCheck,
    plan_checks,
    run_checks,
    words_alike,
)
from mediawatch.match.verify import tokens_given
from mediawatch.pausepoint import pause
from mediawatch.pipeline.db import open_writer, utcnow
from mediawatch.pipeline.feeds import ItemUpdate, save_items
from mediawatch.pipeline.known import rejections, skip_known  # noqa: F401  (pipeline.skip_known)
from mediawatch.pipeline.summary import BatchReport
from mediawatch.records import Article, Failure, Fingerprinted
from mediawatch.reindex import needed as reindex_needed
from mediawatch.reindex import reindex
from mediawatch.text.segment import word_count
from mediawatch.times import story_precision
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
    # the texts' tokens for verification, made in the worker processes that fingerprinted
    given = {f.article.text: f.verify_tokens for f in fresh if f.verify_tokens is not None}
    with tokens_given(given):
        _store_fresh(conn, fresh, run_id, settings, raw_hashes, report, now)


def _store_fresh(
    conn,
    fresh: list[Fingerprinted],
    run_id: int,
    settings: Settings,
    raw_hashes: dict[str, str],
    report: BatchReport,
    now: datetime,
) -> None:
    """Match, cluster and write the batch's new articles (in lineage order)."""
    window = timedelta(days=settings.match.window_days)
    ids = articles_db.next_ids(conn, len(fresh))

    # Match: stored candidates through the LSH index, within the window.
    dates = [f.article.date for f in fresh]
    since, until = (min(dates) - window).date(), (max(dates) + window).date()
    keys = [k for f in fresh for k in f.band_keys]
    candidates = dedup_db.candidate_ids(conn, keys, since, until)
    stored, groups = dedup_db.load_neighbourhood(conn, candidates)
    lines = {k for f in fresh for k in _line_keys(f)}
    new_articles = [
        NewArticle(
            i,
            f.article.text,
            f.article.date,
            fingerprint_from_keys(f.band_keys, f.text_hash),
            f.article.lineage,
            tuple(_line_keys(f)),
        )
        for i, f in zip(ids, fresh, strict=True)
    ]
    line_groups, furniture = dedup_db.line_groups(conn, lines), dedup_db.furniture(conn)
    outcome = match_batch(new_articles, stored, groups, line_groups, furniture)
    rules = constraints.load(conn)  # an analyst's corrections: groups they allow
    constraints.keep_groups(outcome, rules, _lineages(stored, new_articles), furniture)
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
                word_count(a.text),
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
    search_db.add(
        conn,
        [
            (i, f.search_terms if f.search_terms is not None else _search_terms(f))
            for i, f in zip(ids, fresh, strict=True)
        ],
    )
    report.new_articles = len(fresh)
    report.new_article_ids = ids

    # Cluster: the batch joins stored stories (or starts new ones); a duplicate
    # group always stays inside one story.
    feats = [
        ArticleFeatures.from_terms(
            str(i),
            f.terms,
            f.article.published_at,
            f.article.language,
            story_precision(
                f.article.published_at, f.article.published_precision, f.article.extractor
            ),
            site_of(f.article.url, f.article.canonical_url),
        )
        for i, f in zip(ids, fresh, strict=True)
    ]
    params = Params(window_days=float(settings.match.window_days))
    open_since = min(dates) - window
    loaded, assignments, before = _cluster(conn, feats, outcome, ids, params, open_since, rules)

    # Story-mates that share no band key are verified too: a rewrite is found whenever it
    # verifies. Those that do are linked and the batch is matched again (one group rule);
    # should a group then reach across stories, the batch is clustered again with it.
    checks, links = _check_story_mates(
        conn,
        {i: f.article for i, f in zip(ids, fresh, strict=True)},
        loaded,
        outcome,
        furniture,
        settings.match.story_check_limit,
        rivals_of(assignments),
    )
    if links:
        also = {m for pair in links for m in pair} - set(ids)
        stored, groups = dedup_db.load_neighbourhood(conn, candidates | also)
        outcome = match_batch(new_articles, stored, groups, line_groups, furniture, links)
        constraints.keep_groups(outcome, rules, _lineages(stored, new_articles), furniture)
        if _spans_stories(conn, outcome, loaded):
            loaded, assignments, before = _cluster(
                conn, feats, outcome, ids, params, open_since, rules
            )
    dedup_db.save(conn, outcome, run_id, now)
    dedup_db.save_story_checks(conn, checks, run_id, now)
    report.new_groups, report.grown_groups = outcome.new_groups, outcome.grown_groups
    report.exact_copies = outcome.exact_copies
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


def _cluster(
    conn,
    feats: list[ArticleFeatures],
    outcome: MatchOutcome,
    ids: list[int],
    params: Params,
    open_since: datetime,
    rules: constraints.Rules,
) -> tuple[stories_db.LoadedStories, list[Assignment], dict[str, int]]:
    """Load the batch's candidate stories and cluster it, each duplicate group in one story
    and an analyst's corrections kept (merges and moves together, splits apart)."""
    must_link = [[str(m.article_id) for m in g.members] for g in outcome.groups]
    must_link += rules.together
    linked_stored = {m.article_id for g in outcome.groups for m in g.members} - set(ids)
    loaded = stories_db.load(
        conn,
        feats,
        params,
        open_since,
        also=set(articles_db.story_of(conn, linked_stored).values()),
    )
    must_link += _stored_groups(conn, loaded, outcome)
    before = dict(loaded.index.story_of)
    return loaded, assign_batch(feats, loaded.index, must_link=must_link, apart=rules.apart), before


def _stored_groups(
    conn, loaded: stories_db.LoadedStories, outcome: MatchOutcome
) -> list[list[str]]:
    """The stored duplicate groups of the candidate stories' members, as this batch leaves
    them (its own groups, dissolved groups and ungrouped articles are the outcome's). The
    clusterer starts every member from scratch: a group must not rest on the versions'
    scores to come together again (a page that states no time links on nothing else)."""
    members = {int(a) for s in loaded.index.stories.values() for a in s.members}
    settled = {m.article_id for g in outcome.groups for m in g.members} | set(outcome.ungrouped)
    dissolved = set(outcome.dissolved)
    return [
        [str(a) for a in ids if a not in settled]
        for gid, ids in dedup_db.groups_of(conn, members).items()
        if gid not in dissolved
    ]


def _lineages(stored, new_articles) -> dict:
    """Text and lineage of each article in a match (the corrections' re-verification)."""
    return {
        a.article_id: (a.text, a.lineage or (a.date, 0, a.date)) for a in [*stored, *new_articles]
    }


def _check_story_mates(
    conn,
    batch: dict[int, Article],
    loaded: stories_db.LoadedStories,
    outcome: MatchOutcome,
    furniture: set[str],
    limit: int,
    rivals: dict[int, int],
) -> tuple[list[StoryCheck], list[tuple[int, int]]]:
    """Verify each new article against its story-mates not compared yet, and against
    the members of the runner-up story it was considered for (storymates): (what was
    checked, the pairs that verified)."""
    if limit <= 0:
        return [], []
    index = loaded.index
    ids = list(batch)
    story_of = {int(a): sid for a, sid in index.story_of.items()}
    members = {sid: [int(m) for m in st.members] for sid, st in index.stories.items()}
    group_of = {m.article_id: g.key for g in outcome.groups for m in g.members}
    in_group: dict[str, set[int]] = {}
    for aid, key in group_of.items():
        in_group.setdefault(key, set()).add(aid)
    rivals = {i: r for i, r in rivals.items() if r in members}
    wanted = {m for i in ids if i in story_of for m in members.get(story_of[i], ())}
    wanted |= {m for r in rivals.values() for m in members[r]}
    # a grouped mate is verified through its group's anchor (storymates.run_checks)
    anchors = dedup_db.anchors(conn, wanted - set(group_of))  # stored groups not touched
    anchors.update({m.article_id: g.anchor_id for g in outcome.groups for m in g.members})
    skip = {}
    for i in ids:  # compared already: band candidates, their groups' anchors, group-mates
        done = outcome.band_candidates.get(i, set()) | in_group.get(group_of.get(i, ""), set())
        seen = {anchors.get(c, c) for c in done}
        mates = [*members.get(story_of.get(i, -1), ()), *members.get(rivals.get(i, -1), ())]
        skip[i] = done | {m for m in mates if anchors.get(m, m) in seen}
    dates, pruned = dedup_db.mate_dates(conn, wanted - set(ids))
    dates.update({i: a.date for i, a in batch.items()})

    def alike(a: int, b: int) -> bool:  # story words of both, where the index holds them
        fa, fb = index.articles.get(str(a)), index.articles.get(str(b))
        return fa is not None and fb is not None and words_alike(fa.words.keys(), fb.words)

    plans = plan_checks(ids, story_of, members, dates, skip, pruned, limit, rivals, alike=alike)
    targets = {anchors.get(m, m) for p in plans for m in (*p.mates, *p.rival_mates)}
    texts = {i: a.text for i, a in batch.items()}
    texts.update(dedup_db.texts(conn, targets - set(ids)))
    furniture = set(furniture) | set(outcome.new_furniture)
    checks, links, _ = run_checks(plans, texts, furniture, anchors=anchors)
    return checks, links


def _line_keys(f: Fingerprinted) -> tuple[str, ...] | list[str]:
    """An article's line keys: computed by the worker that fingerprinted it."""
    return f.line_keys if f.line_keys is not None else line_keys(f.article.text)


def rivals_of(assignments: list[Assignment]) -> dict[int, int]:
    """The runner-up story the clusterer considered for each article, where it fit at
    least ``RIVAL_MIN_FIT`` of the join threshold (storymates)."""
    return {
        int(a.article_id): a.runner_up
        for a in assignments
        if a.runner_up is not None and a.fit - a.margin >= RIVAL_MIN_FIT * a.threshold
    }


def _spans_stories(conn, outcome: MatchOutcome, loaded: stories_db.LoadedStories) -> bool:
    """Does a duplicate group hold articles of two stories (after this batch's clustering)?"""
    story_of = {int(a): sid for a, sid in loaded.index.story_of.items()}
    rest = {m.article_id for g in outcome.groups for m in g.members} - set(story_of)
    story_of.update(articles_db.story_of(conn, rest))
    return any(len({story_of.get(m.article_id) for m in g.members}) > 1 for g in outcome.groups)


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
    rules: constraints.Rules | None = None  # loaded when a revised group is re-verified
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
                if rules is None:
                    rules = constraints.load(conn)  # an analyst's attachments stay
                change = constraints.keep_revision(change, list(group.members), rules)
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
