-- Health of each feed, and of all feeds together ('*'), for the window [$start, $end).
-- An article belongs to the window of its publication time (first seen, when it has none), so a
-- backfilled day is checked like a live one. The baseline is the mean count over the earlier
-- windows of the same length since the feed's history starts, at most $lookback of them.
WITH dated AS (
    SELECT feed_url, coalesce(published_at, first_seen_at) AS dated_at, text_source
    FROM articles
    WHERE coalesce(published_at, first_seen_at) >= $history_start
      AND coalesce(published_at, first_seen_at) < $end
),
fetched AS (
    SELECT feed_url, count(*) AS fetches, count(*) FILTER (WHERE outcome = 'error') AS fetch_errors
    FROM feed_fetches
    WHERE fetched_at >= $start AND fetched_at < $end
    GROUP BY feed_url
),
per_feed AS (
    SELECT
        f.feed_url,
        any_value(f.outlet) AS outlet,
        least(any_value(f.added_at), min(d.dated_at)) AS known_since,
        count(d.dated_at) FILTER (WHERE d.dated_at >= $start) AS articles,
        count(d.dated_at) FILTER (WHERE d.dated_at < $start) AS history,
        count(d.dated_at) FILTER (WHERE d.dated_at >= $start AND d.text_source = 'feed_summary') AS feed_summary
    FROM feeds AS f
    LEFT JOIN dated AS d USING (feed_url)
    GROUP BY f.feed_url
),
everything AS (
    SELECT
        '*' AS feed_url,
        NULL::VARCHAR AS outlet,
        min(dated_at) AS known_since,
        count(*) FILTER (WHERE dated_at >= $start) AS articles,
        count(*) FILTER (WHERE dated_at < $start) AS history,
        count(*) FILTER (WHERE dated_at >= $start AND text_source = 'feed_summary') AS feed_summary
    FROM dated
),
counted AS (
    SELECT
        c.*,
        coalesce(x.fetches, 0) AS fetches,
        coalesce(x.fetch_errors, 0) AS fetch_errors,
        -- least/greatest skip NULLs in DuckDB: no history at all must mean no windows.
        CASE WHEN c.known_since IS NULL THEN 0 ELSE CAST(greatest(0, least($lookback, ceil(
            (epoch($start::TIMESTAMPTZ) - epoch(c.known_since)) / $window_s
        ))) AS INTEGER) END AS history_windows
    FROM (SELECT * FROM per_feed UNION ALL SELECT * FROM everything) AS c
    LEFT JOIN (
        SELECT * FROM fetched
        UNION ALL
        SELECT '*', sum(fetches), sum(fetch_errors) FROM fetched
    ) AS x USING (feed_url)
    WHERE c.feed_url = '*' OR c.known_since < $end OR x.fetches > 0
)
SELECT
    $start::TIMESTAMPTZ AS window_start,
    $end::TIMESTAMPTZ AS window_end,
    feed_url,
    outlet,
    CAST(articles AS INTEGER) AS articles,
    CASE WHEN history_windows > 0 THEN history / history_windows END AS baseline,
    history_windows,
    CAST(feed_summary AS INTEGER) AS feed_summary,
    CASE WHEN articles > 0 THEN feed_summary / articles END AS fallback_share,
    CAST(fetches AS INTEGER) AS fetches,
    CAST(fetch_errors AS INTEGER) AS fetch_errors,
    CASE
        WHEN fetches > 0 AND fetch_errors = fetches THEN 'failing'
        WHEN history_windows = 0 THEN 'new'
        WHEN articles = 0 AND history / history_windows >= $silent_min THEN 'silent'
        WHEN history / history_windows >= $drop_min
            AND articles < $drop_ratio * history / history_windows THEN 'dropped'
        WHEN articles >= $fallback_min AND feed_summary > $fallback_ratio * articles THEN 'fallback'
        ELSE 'ok'
    END AS status,
    $checked_at::TIMESTAMPTZ AS checked_at
FROM counted
ORDER BY feed_url = '*' DESC, status <> 'ok' DESC, feed_url
