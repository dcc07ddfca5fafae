-- mediawatch schema, version 13: items whose content gave no article, remembered with that
-- content's hash, so a run that finds nothing new need not extract them again to know it
-- (mediawatch.nothing_new). One row per item (its url_key), the latest rejection.
CREATE TABLE rejected_items (
    url_key      VARCHAR PRIMARY KEY,
    raw_hash     VARCHAR NOT NULL,     -- hash of what the source delivered (as articles.raw_hash)
    extract_key  VARCHAR NOT NULL,     -- the extraction settings and release that rejected it
    origin       VARCHAR NOT NULL,
    url          VARCHAR,
    stage        VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    run_id       BIGINT NOT NULL,
    rejected_at  TIMESTAMP NOT NULL
);
