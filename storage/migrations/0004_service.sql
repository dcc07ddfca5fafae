-- mediawatch schema, version 4: running as a service.

-- Who runs a run: a run left 'running' is marked 'crashed' only when its process is gone
-- (its lock file <db>.runs/<run_id>.lock is free), never while it is alive. Runs on
-- another host are left alone: their process cannot be checked from here.
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;

-- Retention: when the article's text (and its earlier revisions' texts) was pruned;
-- metadata, story and duplicate-group membership, LSH bands, terms and the search
-- index rows are kept.
ALTER TABLE articles ADD COLUMN pruned_at TIMESTAMP;
