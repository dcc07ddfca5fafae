-- mediawatch schema, version 6: language-aware text analysis (mediawatch.text).

-- The language identified from the text (articles.language, ISO 639-1 or 'und') with its
-- confidence (0..1), and what the page or feed declared (a hint, not the truth).
ALTER TABLE articles ADD COLUMN language_confidence DOUBLE;
ALTER TABLE articles ADD COLUMN declared_language VARCHAR;
UPDATE articles SET declared_language = language;

-- The version of the text analysis behind the stored band keys, story terms and search
-- postings (mediawatch.fingerprint.SCHEME_VERSION). Databases written before this
-- migration are at 1 (English-only tokens); the next write recomputes them from the
-- stored texts (`mediawatch reindex` does it on demand). Pruned texts keep what they have.
INSERT INTO pipeline_state VALUES ('text_scheme', 1);
