-- One row per feed per run (a rerun of the same run replaces its rows), then the feed's state.
INSERT OR REPLACE INTO feed_fetches BY NAME
SELECT feed_url, run_id, fetched_at, http_status, outcome, error, items_seen, items_new, elapsed_ms
FROM read_parquet($fetches);

INSERT INTO feeds BY NAME
SELECT
    f.feed_url, f.outlet, f.country, f.language, f.title,
    f.etag, f.last_modified,
    f.http_status AS last_status, f.outcome AS last_outcome, f.error AS last_error,
    f.fetched_at AS last_fetched_at,
    CASE WHEN f.outcome <> 'error' THEN f.fetched_at END AS last_ok_at,
    CASE WHEN f.items_new > 0 THEN f.fetched_at END AS last_new_at,
    CASE WHEN f.outcome = 'error' THEN 1 ELSE 0 END AS error_streak,
    f.fetched_at AS added_at
FROM read_parquet($fetches) AS f
ON CONFLICT (feed_url) DO UPDATE SET
    outlet = coalesce(excluded.outlet, feeds.outlet),
    country = coalesce(excluded.country, feeds.country),
    language = coalesce(excluded.language, feeds.language),
    title = coalesce(excluded.title, feeds.title),
    -- A 304 or an error keeps the validators we already have.
    etag = CASE WHEN excluded.last_outcome = 'ok' THEN excluded.etag ELSE feeds.etag END,
    last_modified = CASE WHEN excluded.last_outcome = 'ok'
        THEN excluded.last_modified ELSE feeds.last_modified END,
    last_status = excluded.last_status,
    last_outcome = excluded.last_outcome,
    last_error = excluded.last_error,
    last_fetched_at = excluded.last_fetched_at,
    last_ok_at = coalesce(excluded.last_ok_at, feeds.last_ok_at),
    last_new_at = coalesce(excluded.last_new_at, feeds.last_new_at),
    error_streak = CASE WHEN excluded.last_outcome = 'error'
        THEN feeds.error_streak + 1 ELSE 0 END
-- A rerun of an older run must not move the state backwards or count an error twice.
WHERE feeds.last_fetched_at IS NULL OR excluded.last_fetched_at > feeds.last_fetched_at;
