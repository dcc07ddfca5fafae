-- mediawatch schema, version 14: the runner-up story verified too (mediawatch.match.storymates).

-- A new article is also verified against the most recent members of the story the
-- clusterer considered next for it (its runner-up), so that `explain` can say a pair was
-- compared that way. NULL for articles checked before this version.
ALTER TABLE story_checks ADD COLUMN rival_id BIGINT;
ALTER TABLE story_checks ADD COLUMN rival_checked BIGINT[];
