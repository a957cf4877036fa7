-- The warehouse: feeds and their conditional-GET state, one row per feed per run,
-- one row per distinct article (keyed by the hash of its canonical URL), and runs.

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    source            VARCHAR NOT NULL,          -- live | reprocess | retag | wayback | warc | sitemap
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL,          -- staged | loaded | failed
    feeds_total       INTEGER,
    feeds_ok          INTEGER,
    feeds_not_modified INTEGER,
    feeds_error       INTEGER,
    items_seen        INTEGER,
    items_new         INTEGER,
    pages_fetched     INTEGER,
    articles_staged   INTEGER,
    articles_inserted INTEGER,
    articles_updated  INTEGER,
    elapsed_s         DOUBLE,
    report            JSON                       -- skip counts by reason, text sources, ...
);

CREATE TABLE feeds (
    feed_url        VARCHAR PRIMARY KEY,
    outlet          VARCHAR,
    country         VARCHAR,
    language        VARCHAR,
    title           VARCHAR,
    etag            VARCHAR,
    last_modified   VARCHAR,
    last_status     INTEGER,
    last_outcome    VARCHAR,
    last_error      VARCHAR,
    last_fetched_at TIMESTAMPTZ,
    last_ok_at      TIMESTAMPTZ,
    last_new_at     TIMESTAMPTZ,
    error_streak    INTEGER NOT NULL DEFAULT 0,
    added_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE feed_fetches (
    feed_url    VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL,
    http_status INTEGER NOT NULL,                -- 0 when no response arrived
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'error')),
    error       VARCHAR,
    items_seen  INTEGER NOT NULL,
    items_new   INTEGER NOT NULL,
    elapsed_ms  INTEGER NOT NULL,
    PRIMARY KEY (feed_url, run_id)
);

CREATE TABLE articles (
    article_id     VARCHAR PRIMARY KEY,          -- sha256(canonical_url)[:32]
    url            VARCHAR NOT NULL,
    canonical_url  VARCHAR NOT NULL,
    feed_url       VARCHAR,
    outlet         VARCHAR,
    title          VARCHAR,
    author         VARCHAR,
    published_at   TIMESTAMPTZ,
    fetched_at     TIMESTAMPTZ NOT NULL,
    language       VARCHAR,
    text           VARCHAR NOT NULL,
    summary        VARCHAR,
    word_count     INTEGER NOT NULL,
    content_hash   VARCHAR NOT NULL,
    text_source    VARCHAR NOT NULL CHECK (text_source IN ('page', 'feed_summary')),
    run_id         VARCHAR NOT NULL,
    sitename       VARCHAR,
    http_status    INTEGER,
    page_error     VARCHAR,                      -- why the page text was not used, if it was not
    page_retry     BOOLEAN NOT NULL DEFAULT false, -- the page failed transiently: try again later
    is_conflict    BOOLEAN,
    conflict_score DOUBLE,
    tagger_version VARCHAR,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE article_tags (
    article_id VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL CHECK (kind IN ('topic', 'event', 'conflict', 'actor', 'place')),
    value      VARCHAR NOT NULL,
    code       VARCHAR,
    score      DOUBLE NOT NULL,
    evidence   VARCHAR,
    PRIMARY KEY (article_id, kind, value)
);
