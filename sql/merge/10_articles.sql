INSERT INTO articles BY NAME
SELECT s.*, $now::TIMESTAMPTZ AS first_seen_at, $now::TIMESTAMPTZ AS updated_at
FROM staged_articles AS s
ON CONFLICT (article_id) DO UPDATE SET
    url = excluded.url,
    feed_url = coalesce(articles.feed_url, excluded.feed_url),
    outlet = coalesce(articles.outlet, excluded.outlet),
    title = coalesce(excluded.title, articles.title),
    author = coalesce(excluded.author, articles.author),
    published_at = coalesce(articles.published_at, excluded.published_at),
    -- The stored date stays, and so does the note of where it came from.
    date_source = CASE WHEN articles.published_at IS NULL THEN excluded.date_source
                       ELSE coalesce(articles.date_source, excluded.date_source) END,
    date_confidence = CASE WHEN articles.published_at IS NULL THEN excluded.date_confidence
                           ELSE coalesce(articles.date_confidence, excluded.date_confidence) END,
    fetched_at = excluded.fetched_at,
    language = coalesce(excluded.language, articles.language),
    text = excluded.text,
    summary = coalesce(excluded.summary, articles.summary),
    word_count = excluded.word_count,
    content_hash = excluded.content_hash,
    text_source = excluded.text_source,
    run_id = excluded.run_id,
    sitename = coalesce(excluded.sitename, articles.sitename),
    http_status = excluded.http_status,
    page_error = excluded.page_error,
    page_retry = excluded.page_retry,
    is_conflict = excluded.is_conflict,
    conflict_score = excluded.conflict_score,
    tagger_version = excluded.tagger_version,
    updated_at = excluded.updated_at;
