"""What a watchlist catches among the articles stored since it last looked.

Each watchlist keeps a watermark (the highest article id it has checked). A run checks
the articles stored after it, and the articles the run revised, and finds:

- ``article``: a checked article that matches (query, sources, languages) in a story of
  at least ``min_size`` articles;
- ``story``: a story of a checked article that has a matching article and at least
  ``min_size`` articles, the first time it does (a story is caught once);
- ``growth``: such a story with at least ``growth_articles`` articles dated within
  ``growth_hours`` up to one of the checked articles (once per story).

Runs store one batch at a time, so every id below the highest stored one is final: a
run that died half-way leaves its articles to the next run's check, none is skipped.
"""

from __future__ import annotations

import duckdb

from mediawatch.config import WatchList
from mediawatch.watch.lists import query_of
from storage import watch as watch_db


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    row: watch_db.WatchlistRow,
    wl: WatchList,
    through: int,
    revised: list[int],
) -> list[watch_db.NewHit]:
    """The hits of one watchlist among the articles after its watermark up to
    ``through`` and the ``revised`` ones; the watermark moves to ``through``."""
    query = query_of(wl)
    checked = watch_db.candidates(conn, row.checked_through, through, revised)
    watch_db.set_checked_through(conn, row.watchlist_id, max(through, row.checked_through))
    if not checked:
        return []
    story_ids = {s for s in checked.values() if s is not None}
    matched = watch_db.matching(conn, query, wl.sources, wl.languages, story_ids, checked)
    stories = watch_db.story_facts(conn, story_ids)

    def big_enough(story_id: int | None) -> bool:
        story = stories.get(story_id) if story_id is not None else None
        return (story.size if story else 1) >= wl.min_size

    hits: list[watch_db.NewHit] = []
    by_story: dict[int, list[int]] = {}
    for aid, sid in matched.items():
        if sid is not None:
            by_story.setdefault(sid, []).append(aid)
    caught = sorted(s for s in by_story if s in stories and big_enough(s))

    def story_hit(kind: str, sid: int, detail: dict) -> watch_db.NewHit:
        s = stories[sid]
        return watch_db.NewHit(
            row.watchlist_id,
            kind,
            sid,
            max(by_story[sid]),
            sid,
            s.title,
            s.origin_source,
            s.origin_url,
            s.size,
            detail,
        )

    hits.extend(
        story_hit("story", sid, {"matching_articles": len(by_story[sid])}) for sid in caught
    )
    if wl.growth_articles > 0 and caught:
        new_in_caught = [a for a, s in checked.items() if s in set(caught)]
        for sid, (count, until) in sorted(
            watch_db.growth_peaks(conn, new_in_caught, wl.growth_hours).items()
        ):
            if count >= wl.growth_articles:
                detail = {"articles": count, "hours": wl.growth_hours, "until": until.isoformat()}
                hits.append(story_hit("growth", sid, detail))
    articles = watch_db.article_facts(conn, [a for a in checked if a in matched])
    for aid in sorted(articles):
        a = articles[aid]
        if not big_enough(a.story_id):
            continue
        story = stories.get(a.story_id) if a.story_id is not None else None
        hits.append(
            watch_db.NewHit(
                row.watchlist_id,
                "article",
                aid,
                aid,
                a.story_id,
                a.title,
                a.source,
                a.url,
                story.size if story else None,
                {
                    "date": a.date.isoformat(),
                    "revised": aid in revised and aid <= row.checked_through,
                },
            )
        )
    return hits
