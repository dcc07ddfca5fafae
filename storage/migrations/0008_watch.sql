-- mediawatch schema, version 8: watchlists and their hits (mediawatch.watch).

CREATE SEQUENCE watchlist_ids START 1;
CREATE SEQUENCE watch_hit_ids START 1;

-- A saved query, from `mediawatch watch add` (origin 'cli') or the settings' [[watch.lists]]
-- (origin 'settings', written by each run; a list taken out of the settings stays, inactive,
-- with its hits, until `mediawatch watch remove`).
CREATE TABLE watchlists (
    watchlist_id     BIGINT PRIMARY KEY,
    name             VARCHAR NOT NULL UNIQUE,
    definition       VARCHAR NOT NULL,     -- JSON: query, sources, languages, min_size, growth, delivery
    origin           VARCHAR NOT NULL,     -- cli | settings
    active           BOOLEAN NOT NULL DEFAULT true,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    checked_through  BIGINT NOT NULL DEFAULT 0  -- articles up to this id were checked
);

-- What a watchlist caught, once each: an article that matches (kind 'article', subject the
-- article), a story that newly matches ('story', subject the story), a story that crossed
-- the growth mark ('growth', subject the story). Title, source and URL as when found.
CREATE TABLE watch_hits (
    hit_id        BIGINT PRIMARY KEY,
    watchlist_id  BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,
    subject_id    BIGINT NOT NULL,
    article_id    BIGINT,              -- the article (for a story: its latest matching one)
    story_id      BIGINT,
    title         VARCHAR,
    source        VARCHAR,
    url           VARCHAR,
    story_size    INTEGER,
    detail        VARCHAR,             -- JSON: growth counts, matching articles
    run_id        BIGINT NOT NULL,
    found_at      TIMESTAMP NOT NULL,
    UNIQUE (watchlist_id, kind, subject_id)
);

-- One row per hit and channel the watchlist delivers to: pending until a run sends it,
-- then delivered, or failed with the reason (tried again by later runs up to
-- watch.delivery_attempts).
CREATE TABLE watch_deliveries (
    hit_id        BIGINT NOT NULL,
    channel       VARCHAR NOT NULL,    -- webhook | prefect
    state         VARCHAR NOT NULL,    -- pending | delivered | failed
    target        VARCHAR,             -- the URL or block it went (or failed to go) to
    attempts      INTEGER NOT NULL DEFAULT 0,
    detail        VARCHAR,             -- the answer, or why it failed
    last_attempt  TIMESTAMP,
    delivered_at  TIMESTAMP,
    PRIMARY KEY (hit_id, channel)
);
