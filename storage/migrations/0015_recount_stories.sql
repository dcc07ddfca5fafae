-- mediawatch schema, version 15: stories' counts recomputed from their members.

-- Before this version, `group attach`, `group detach` and their undo changed duplicate
-- groups without recounting the story (n_independent counts each group once), and
-- `mediawatch check` did not compare these counts. The same expressions as
-- storage.articles.MEMBER_COUNTS; no table changes.
UPDATE stories SET
    n_sources = x.n_sources, n_independent = x.n_independent, n_groups = x.n_groups
FROM (
    SELECT sm.story_id,
           count(DISTINCT coalesce(a.source, a.url)) AS n_sources,
           count(DISTINCT coalesce('g' || dm.group_id, 'a' || a.article_id)) AS n_independent,
           count(DISTINCT dm.group_id) AS n_groups
    FROM story_members sm
    JOIN articles a USING (article_id)
    LEFT JOIN dup_members dm USING (article_id)
    GROUP BY sm.story_id
) x
WHERE stories.story_id = x.story_id;
