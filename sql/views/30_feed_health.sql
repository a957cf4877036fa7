-- One row per feed: last success, current error streak, when it last brought something new, and
-- a status: failing (3+ errors in a row), silent (no new item for 2 days while others had some),
-- erroring, or ok. "Now" is the latest fetch in the warehouse, so old databases read sensibly.
CREATE OR REPLACE VIEW feed_health AS
WITH latest AS (SELECT max(fetched_at) AS now FROM feed_fetches),
recent AS (
    SELECT f.feed_url, count(*) AS fetches_7d,
        count(*) FILTER (WHERE f.outcome = 'error') AS errors_7d,
        sum(f.items_new) AS new_items_7d
    FROM feed_fetches AS f, latest
    WHERE f.fetched_at > latest.now - INTERVAL 7 DAY
    GROUP BY f.feed_url
)
SELECT
    f.feed_url, f.outlet, f.last_fetched_at, f.last_ok_at AS last_success, f.last_new_at,
    f.error_streak, f.last_status, f.last_error,
    coalesce(r.fetches_7d, 0) AS fetches_7d, coalesce(r.errors_7d, 0) AS errors_7d,
    coalesce(r.new_items_7d, 0) AS new_items_7d,
    date_diff('hour', coalesce(f.last_new_at, f.added_at), latest.now) AS hours_since_new,
    CASE
        WHEN f.error_streak >= 3 THEN 'failing'
        WHEN coalesce(f.last_new_at, f.added_at) < latest.now - INTERVAL 2 DAY THEN 'silent'
        WHEN f.last_error IS NOT NULL THEN 'erroring'
        ELSE 'ok'
    END AS status
FROM feeds AS f
CROSS JOIN latest
LEFT JOIN recent AS r USING (feed_url);
