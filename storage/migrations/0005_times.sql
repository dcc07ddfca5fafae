-- mediawatch schema, version 5: publication times with their precision.

-- How precise published_at is: 'second' or 'minute' (a time, converted to UTC), 'day' (a
-- date: midnight of the day the publisher gave, not converted), 'month' (a URL's /2026/03/).
-- NULL when published_at is NULL. Which article came first compares each by the latest
-- moment its value allows (storage/lineage.py, mediawatch/times.py).
ALTER TABLE articles ADD COLUMN published_precision VARCHAR;

-- Rows stored before: HTML pages kept only the date (stored at midnight), while feeds,
-- JSONL/CSV records and front matter kept their time. A value at exactly midnight is taken
-- as a date, any other as a time to the second.
UPDATE articles SET published_precision = CASE
        WHEN published_at = date_trunc('day', published_at) THEN 'day' ELSE 'second' END
    WHERE published_at IS NOT NULL;
