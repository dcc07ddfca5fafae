-- mediawatch schema, version 1. The user-facing tables are documented in docs/schema.md.
-- Timestamps are UTC without a zone.

CREATE SEQUENCE run_ids START 1;
CREATE SEQUENCE article_ids START 1;
CREATE SEQUENCE group_ids START 1;
CREATE SEQUENCE story_ids START 1;

-- One row per pipeline run (ingest, scheduled poll, evaluation batch).
CREATE TABLE runs (
    run_id       BIGINT PRIMARY KEY,
    flow_run_id  VARCHAR,               -- the Prefect flow run, when run by Prefect
    kind         VARCHAR NOT NULL,      -- ingest | run | evaluate ...
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    state        VARCHAR NOT NULL,      -- running | completed | failed | crashed
    sources      VARCHAR,               -- JSON list of what was ingested
    counts       VARCHAR,               -- JSON object: per-stage counts
    error        VARCHAR                -- why a run failed as a whole
);

-- Items that could not be taken, with the reason; the run went on without them.
CREATE TABLE failures (
    run_id      BIGINT NOT NULL,
    origin      VARCHAR NOT NULL,       -- file, file:line, or URL
    url         VARCHAR,
    stage       VARCHAR NOT NULL,       -- ingest | extract | fingerprint | store
    reason      VARCHAR NOT NULL,
    at          TIMESTAMP NOT NULL
);

CREATE TABLE articles (
    article_id   BIGINT PRIMARY KEY,
    url          VARCHAR NOT NULL,      -- canonical URL (tracking parameters removed)
    url_key      VARCHAR NOT NULL UNIQUE, -- identity: equal for the variants of one URL
    original_url VARCHAR,
    guid         VARCHAR,
    title        VARCHAR,
    text         VARCHAR,               -- NULL once pruned by retention
    text_hash    VARCHAR NOT NULL,      -- hash of the normalised text: exact copies share it
    raw_hash     VARCHAR,               -- hash of the delivered content
    word_count   INTEGER NOT NULL,
    author       VARCHAR,
    source       VARCHAR,               -- outlet: site name, feed name or host
    language     VARCHAR,
    extractor    VARCHAR NOT NULL,
    published_at TIMESTAMP,
    fetched_at   TIMESTAMP NOT NULL,
    date         TIMESTAMP NOT NULL,    -- published_at, else fetched_at: windows and order
    origin       VARCHAR,               -- where the item came from
    run_id       BIGINT NOT NULL,
    stored_at    TIMESTAMP NOT NULL
);

-- Earlier versions of an article whose text or title changed.
CREATE TABLE article_revisions (
    article_id   BIGINT NOT NULL,
    revision     INTEGER NOT NULL,
    title        VARCHAR,
    text         VARCHAR,
    text_hash    VARCHAR NOT NULL,
    replaced_at  TIMESTAMP NOT NULL,
    run_id       BIGINT NOT NULL
);

-- The persistent LSH index: one row per article and band. Candidates for a new
-- article are the stored articles sharing any (band, key) within the window.
CREATE TABLE lsh_bands (
    band        SMALLINT NOT NULL,
    key         BIGINT NOT NULL,
    article_id  BIGINT NOT NULL,
    day         DATE NOT NULL
);

CREATE TABLE dup_groups (
    group_id           BIGINT PRIMARY KEY,
    origin_article_id  BIGINT NOT NULL,  -- the earliest member
    story_id           BIGINT NOT NULL,
    size               INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE dup_members (
    article_id          BIGINT PRIMARY KEY,
    group_id            BIGINT NOT NULL,
    relation            VARCHAR NOT NULL, -- origin | exact | near_copy | rewrite
    matched_article_id  BIGINT,           -- the member its relation was verified against
    similarity          DOUBLE,
    containment         DOUBLE,           -- share of the shorter text found in the longer
    scores              VARCHAR,          -- JSON: every score and threshold of the decision
    joined_at           TIMESTAMP NOT NULL,
    run_id              BIGINT NOT NULL
);

CREATE TABLE stories (
    story_id           BIGINT PRIMARY KEY,
    title              VARCHAR,
    origin_article_id  BIGINT,           -- earliest article (publication, then fetch time)
    size               INTEGER NOT NULL,
    n_sources          INTEGER NOT NULL,
    n_independent      INTEGER NOT NULL, -- articles that are not copies of another member
    first_date         TIMESTAMP NOT NULL,
    last_date          TIMESTAMP NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_run        BIGINT NOT NULL,
    updated_run        BIGINT NOT NULL,
    merged_into        BIGINT            -- set when merged into another story
);

CREATE TABLE story_members (
    article_id   BIGINT PRIMARY KEY,
    story_id     BIGINT NOT NULL,
    score        DOUBLE,
    reason       VARCHAR,                -- new story | similar to story | copy of article N
    scores       VARCHAR,                -- JSON: the scores and thresholds of the decision
    joined_at    TIMESTAMP NOT NULL,
    run_id       BIGINT NOT NULL
);

-- Story profiles for incremental clustering: summed term weights per space
-- (top terms only) and the inverted keys used to find candidate stories.
CREATE TABLE story_terms (
    story_id  BIGINT NOT NULL,
    space     VARCHAR NOT NULL,
    term      VARCHAR NOT NULL,
    weight    DOUBLE NOT NULL
);

-- Document frequencies for IDF, updated as articles arrive.
CREATE TABLE term_stats (
    space  VARCHAR NOT NULL,
    term   VARCHAR NOT NULL,
    df     BIGINT NOT NULL,
    PRIMARY KEY (space, term)
);

CREATE TABLE corpus_stats (
    space   VARCHAR PRIMARY KEY,
    n_docs  BIGINT NOT NULL
);

-- Lines seen on many pages of one host are boilerplate, not article text.
CREATE TABLE site_lines (
    host       VARCHAR NOT NULL,
    line_hash  BIGINT NOT NULL,
    pages      INTEGER NOT NULL,
    PRIMARY KEY (host, line_hash)
);
