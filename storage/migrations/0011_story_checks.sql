-- mediawatch schema, version 11: story-mates verified as duplicates (mediawatch.match.storymates).

-- After story clustering, a new article is verified against the members of its story that
-- it shares no LSH band key with and is not grouped with (the match.story_check_limit most
-- recent): one row per new article so checked, so `explain` can tell a pair compared
-- through story membership from one never compared, and why.
CREATE TABLE story_checks (
    article_id  BIGINT PRIMARY KEY,
    story_id    BIGINT NOT NULL,      -- its story when it was checked
    checked     BIGINT[] NOT NULL,    -- the members it was verified against
    found       BIGINT[] NOT NULL,    -- those that verified as exact, near_copy or rewrite
    beyond      INTEGER NOT NULL,     -- members left out by the limit
    pruned      INTEGER NOT NULL,     -- members whose text was pruned (not verifiable)
    run_id      BIGINT NOT NULL,
    checked_at  TIMESTAMP NOT NULL
);
