-- mediawatch schema, version 9: an analyst's corrections (mediawatch.corrections), which
-- later runs respect (mediawatch.cluster.constraints) until they are undone.

CREATE SEQUENCE correction_ids START 1;

-- One row per correction: story merge | story split | article move | group detach |
-- group attach. `before` holds what it replaced (for undo), `after` what it made.
CREATE TABLE corrections (
    correction_id  BIGINT PRIMARY KEY,
    kind           VARCHAR NOT NULL,   -- story-merge | story-split | article-move | group-detach | group-attach
    subject        VARCHAR NOT NULL,   -- JSON: the command's arguments
    note           VARCHAR,            -- the analyst's --note
    reason         VARCHAR,            -- group attach --force: why, though it does not verify
    made_by        VARCHAR NOT NULL,   -- the OS user, or --by
    made_via       VARCHAR NOT NULL,   -- cli | inspector
    made_at        TIMESTAMP NOT NULL,
    state          VARCHAR NOT NULL,   -- active | undone
    undone_by      VARCHAR,
    undone_at      TIMESTAMP,
    before         VARCHAR NOT NULL,   -- JSON: memberships and group rows as they were
    after          VARCHAR NOT NULL    -- JSON: stories made or absorbed, the verification
);

-- The articles a correction binds, in two parts. What binds them follows the kind:
-- story-split: part 1 (stays) and part 2 (left) never share a story;
-- story-merge, article-move: every listed article shares one story;
-- group-detach: part 2 (the detached article) never shares a duplicate group with part 1
-- (its group mates when it was detached); group-attach: part 2 stays in part 1's group.
CREATE TABLE correction_articles (
    correction_id  BIGINT NOT NULL,
    article_id     BIGINT NOT NULL,
    part           TINYINT NOT NULL,
    PRIMARY KEY (correction_id, article_id)
);
