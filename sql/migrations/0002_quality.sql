-- Data-quality checks, one row per feed per checked window plus one row ('*') for all feeds.
-- A rerun of a window replaces its rows, so a day checked twice keeps one set.

CREATE TABLE quality_checks (
    window_start   TIMESTAMPTZ NOT NULL,
    window_end     TIMESTAMPTZ NOT NULL,
    feed_url       VARCHAR NOT NULL,             -- '*' for the whole warehouse
    outlet         VARCHAR,
    articles       INTEGER NOT NULL,             -- articles dated in the window
    baseline       DOUBLE,                       -- mean per earlier window (up to 7); NULL: no history
    history_windows INTEGER NOT NULL,            -- earlier windows the baseline averages over
    feed_summary   INTEGER NOT NULL,             -- of `articles`, stored from the feed's summary
    fallback_share DOUBLE,                       -- feed_summary / articles
    fetches        INTEGER NOT NULL,             -- feed fetches during the window
    fetch_errors   INTEGER NOT NULL,
    status         VARCHAR NOT NULL
        CHECK (status IN ('ok', 'new', 'failing', 'silent', 'dropped', 'fallback')),
    checked_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (window_start, window_end, feed_url)
);
