-- mediawatch schema, version 12: where an article's title and address come from.

-- The article had no title (no feed title, no <title>, no title-like first line): its
-- first sentence, shortened, stands in as title (mediawatch.extract.text.derive_title).
-- Matching, clustering and search leave a derived title out (it repeats the text).
ALTER TABLE articles ADD COLUMN title_derived BOOLEAN NOT NULL DEFAULT false;

-- The address a page names for itself (<link rel="canonical">, else og:url; absolute
-- http(s) only): a saved copy keeps its file:// url and where it was published.
ALTER TABLE articles ADD COLUMN canonical_url VARCHAR;
