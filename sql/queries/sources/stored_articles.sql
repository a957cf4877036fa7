-- Stored articles to re-tag: those tagged by another tagger version ($1), or all when $2 (force).
SELECT article_id, url, canonical_url, feed_url, outlet, title, author, published_at, fetched_at,
       language, text, summary, word_count, content_hash, text_source, run_id, sitename,
       http_status, page_error, page_retry, date_source, date_confidence
FROM articles
WHERE $2 OR tagger_version IS DISTINCT FROM $1
