-- mediawatch schema, version 1. The user-facing tables are documented in docs/schema.md.
-- Timestamps are UTC without a zone.

CREATE SEQUENCE run_ids START 1;
CREATE SEQUENCE article_ids START 1;
CREATE SEQUENCE group_ids START 1;

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
    failed_at   TIMESTAMP NOT NULL
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

-- The persistent LSH index: one row per article and band key (keys are unique across
-- signature kinds and bands). Candidates for a new article are the stored articles
-- sharing a key within the matching window.
CREATE TABLE lsh_bands (
    kind         TINYINT NOT NULL,       -- 1 shingle, 2 words, 3 lead, 4 exact, 5 sentence
    key          BIGINT NOT NULL,
    article_id   BIGINT NOT NULL,
    bucket_date  DATE NOT NULL           -- the article's date: old rows drop out of the window
);

CREATE TABLE dup_groups (
    group_id           BIGINT PRIMARY KEY,
    origin_article_id  BIGINT NOT NULL,  -- the earliest member: every relation is to it
    story_id           BIGINT NOT NULL,
    size               INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE dup_members (
    article_id      BIGINT PRIMARY KEY,
    group_id        BIGINT NOT NULL,
    relation        VARCHAR NOT NULL,    -- origin | exact | near_copy | rewrite
    via_article_id  BIGINT,              -- set when it matched through another member
    similarity      DOUBLE,              -- the deciding score: coverage or sentence alignment
    containment     DOUBLE,              -- share of the shorter text found in the longer one
    decision        VARCHAR,             -- JSON: reason, every score and threshold
    joined_at       TIMESTAMP NOT NULL,
    run_id          BIGINT NOT NULL
);

-- Page furniture learnt from the archive: a line seen in many different groups
-- (newsletter pitches, copyright lines) is ignored when texts are compared.
CREATE TABLE dup_line_groups (
    line_hash  BIGINT NOT NULL,
    group_key  VARCHAR NOT NULL
);
CREATE TABLE dup_furniture (
    line_key   VARCHAR PRIMARY KEY
);

CREATE TABLE stories (
    story_id           BIGINT PRIMARY KEY,
    title              VARCHAR,          -- the origin article's title
    origin_article_id  BIGINT,           -- earliest article (publication, then fetch time)
    size               INTEGER NOT NULL,
    n_sources          INTEGER NOT NULL,
    n_independent      INTEGER NOT NULL, -- distinct texts: a duplicate group counts once
    n_groups           INTEGER NOT NULL, -- duplicate groups in the story
    first_date         TIMESTAMP NOT NULL, -- earliest / latest article date (publication,
    last_date          TIMESTAMP NOT NULL, -- else fetch time): the matching window uses these
    first_published    TIMESTAMP,        -- publication dates only: the clusterer's time term
    last_published     TIMESTAMP,
    within_words       DOUBLE NOT NULL,  -- summed within-story cosines per space (coherence)
    within_entities    DOUBLE NOT NULL,
    within_numbers     DOUBLE NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    created_run        BIGINT NOT NULL,
    updated_run        BIGINT NOT NULL,
    merged_into        BIGINT            -- set when the story was absorbed by another
);

CREATE TABLE story_members (
    article_id   BIGINT PRIMARY KEY,
    story_id     BIGINT NOT NULL,
    reason       VARCHAR NOT NULL,       -- new | attached | new:with-batch | moved | merged
    score        DOUBLE,                 -- the clustering score that joined it (see scores)
    scores       VARCHAR,                -- JSON: per-space scores, time factor, threshold, fit, margin
    joined_at    TIMESTAMP NOT NULL,
    run_id       BIGINT NOT NULL
);

-- The clusterer's state. Story profiles: summed unit term vectors, top terms per space.
CREATE TABLE story_terms (
    story_id  BIGINT NOT NULL,
    space     VARCHAR NOT NULL,          -- words | entities | numbers
    term      VARCHAR NOT NULL,
    weight    DOUBLE NOT NULL
);

-- Inverted index over the stories' top terms: how candidate stories are found.
CREATE TABLE story_keys (
    key       VARCHAR NOT NULL,          -- 'w:term' or 'e:term'
    story_id  BIGINT NOT NULL
);

-- Raw term counts per article (JSON {space: {term: count}}): stories are re-clustered
-- from their members' terms when new articles arrive.
CREATE TABLE article_terms (
    article_id  BIGINT PRIMARY KEY,
    terms       VARCHAR NOT NULL
);

-- Document frequencies for IDF, counted as articles arrive.
CREATE TABLE term_df (
    space  VARCHAR NOT NULL,
    term   VARCHAR NOT NULL,
    df     BIGINT NOT NULL,
    PRIMARY KEY (space, term)
);

-- Small named counters and settings of the pipeline's state (e.g. n_docs).
CREATE TABLE pipeline_state (
    name   VARCHAR PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO pipeline_state VALUES ('n_docs', 0);

-- Lines seen on many pages of one host are boilerplate, not article text.
CREATE TABLE site_lines (
    host       VARCHAR NOT NULL,
    line_hash  BIGINT NOT NULL,
    pages      INTEGER NOT NULL,
    PRIMARY KEY (host, line_hash)
);
