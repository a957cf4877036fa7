-- Analysis layer: per-article signatures for duplicate detection, stories (clusters of articles
-- about one event) and their members, and the state of derived indexes (full-text search).
-- All of it is derived from `articles` and `article_tags` and brought up to date after each load.

CREATE TABLE article_signatures (
    article_id   VARCHAR PRIMARY KEY,
    content_hash VARCHAR NOT NULL,               -- the articles.content_hash it was computed from
    shingles     UBIGINT[] NOT NULL,             -- MinHash of word 3-grams (near-duplicates)
    words        UBIGINT[] NOT NULL,             -- MinHash of content words (same-event similarity)
    entities     VARCHAR[] NOT NULL,             -- kind:code of actor, place, conflict, event tags
    seen_at      TIMESTAMPTZ NOT NULL            -- published_at, else first_seen_at
);

CREATE TABLE stories (
    story_id      VARCHAR PRIMARY KEY,           -- 's' + article_id of the story's first article
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    title         VARCHAR,                       -- the title of its first page-text article
    size          INTEGER NOT NULL,
    outlets       VARCHAR[] NOT NULL,
    main_conflict VARCHAR,                       -- the conflict tag most of its articles carry
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE story_articles (
    article_id   VARCHAR PRIMARY KEY,
    story_id     VARCHAR NOT NULL,
    duplicate_of VARCHAR,                        -- an earlier article it copies, if any
    duplicate    VARCHAR CHECK (duplicate IN ('exact', 'near')),
    similarity   DOUBLE,                         -- its best link into the story (NULL: founder)
    assigned_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE analysis_state (
    name       VARCHAR PRIMARY KEY,              -- e.g. fts: the articles fingerprint indexed
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
