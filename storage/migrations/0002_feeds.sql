-- mediawatch schema, version 2: feeds and sitemaps polled over HTTP.

-- One row per polled feed or sitemap (child sitemaps of an index included): its
-- conditional-GET validators and its health.
CREATE TABLE feeds (
    feed_url              VARCHAR PRIMARY KEY,  -- as configured or given
    name                  VARCHAR,              -- configured name, else the feed's title
    parent_url            VARCHAR,              -- the sitemap index that listed a child sitemap
    kind                  VARCHAR,              -- rss | rdf | atom | jsonfeed | sitemap | news-sitemap | sitemap-index
    etag                  VARCHAR,              -- validators sent on the next poll
    last_modified         VARCHAR,
    content_hash          VARCHAR,              -- hash of the last body: a wrong 200 for an unchanged feed
    pending               BOOLEAN NOT NULL DEFAULT false, -- items left for the next run: poll in full
    last_poll             TIMESTAMP,
    last_success          TIMESTAMP,
    last_status           VARCHAR,              -- ok | not-modified | unchanged | empty | failed
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    items_seen            INTEGER NOT NULL DEFAULT 0,  -- items in the feed at the last full poll
    items_new             INTEGER NOT NULL DEFAULT 0,  -- new articles from the last poll
    total_new             BIGINT NOT NULL DEFAULT 0,   -- new articles from all polls
    last_error            VARCHAR,
    first_poll            TIMESTAMP
);

-- What became of each item of a feed: a known item whose feed data did not change
-- is skipped without fetching its page.
CREATE TABLE feed_items (
    feed_url      VARCHAR NOT NULL,   -- the configured feed (a sitemap index for its children)
    item_key      VARCHAR NOT NULL,   -- 'guid:<guid>', else 'url:<url key>'
    guid          VARCHAR,
    link          VARCHAR NOT NULL,
    item_hash     VARCHAR NOT NULL,   -- link, title, summary and dates as the feed gave them
    article_id    BIGINT,             -- the stored article (NULL when the page gave none)
    status        VARCHAR NOT NULL,   -- stored | linked | rejected
    reason        VARCHAR,            -- why it was rejected
    first_seen    TIMESTAMP NOT NULL,
    last_fetched  TIMESTAMP,
    PRIMARY KEY (feed_url, item_key)
);

-- Feed summaries travel with the article.
ALTER TABLE articles ADD COLUMN summary VARCHAR;
