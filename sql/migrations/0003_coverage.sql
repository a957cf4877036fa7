-- Backfill coverage: which archived items were found for each day, outlet and source, and
-- which (source, unit, day) a backfill has finished (its resume checkpoints).

-- One row per item an archive source found, filed under the day it was published (or, when it
-- has no date, the day it was captured). Counts in coverage_days are derived from these rows.
CREATE TABLE coverage_items (
    day        DATE NOT NULL,
    outlet     VARCHAR NOT NULL,
    source     VARCHAR NOT NULL CHECK (source IN ('wayback', 'warc', 'sitemap')),
    article_id VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,
    PRIMARY KEY (day, outlet, source, article_id)
);

CREATE TABLE coverage_days (
    day             DATE NOT NULL,
    outlet          VARCHAR NOT NULL,            -- the feed's outlet, or the site's host
    source          VARCHAR NOT NULL CHECK (source IN ('wayback', 'warc', 'sitemap')),
    captures        INTEGER NOT NULL,            -- archived feeds / WARC records / sitemap entries read
    items_found     INTEGER NOT NULL,            -- distinct items published that day
    articles_stored INTEGER NOT NULL,            -- of those, stored in `articles` (by any run)
    pages_missing   INTEGER NOT NULL,            -- of those, without page text (summary or nothing)
    errors          INTEGER NOT NULL,            -- archive requests that failed for this day
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (day, outlet, source)
);

CREATE TABLE backfill_checkpoints (
    source      VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,                -- feed URL, site origin or WARC file
    day         DATE NOT NULL,
    run_id      VARCHAR NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, unit, day)
);
