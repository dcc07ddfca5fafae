-- Full-text search over articles: an inverted index kept when articles are stored.
-- (DuckDB's fts extension is downloaded at run time and its index is rebuilt by hand
-- after each write; this index is written in the same transaction as the articles.)
-- Queries rank with BM25 (storage/search.py); terms are normalised tokens without
-- stopwords, as mediawatch.search.index_terms makes them.

CREATE TABLE search_terms (
    term        VARCHAR NOT NULL,
    article_id  BIGINT NOT NULL,
    tf          INTEGER NOT NULL    -- occurrences; a title word counts 3 times
);

-- One row per indexed article: its indexed length, for BM25's length normalisation.
CREATE TABLE search_docs (
    article_id  BIGINT PRIMARY KEY,
    length      INTEGER NOT NULL
);
