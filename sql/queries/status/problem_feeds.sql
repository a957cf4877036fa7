-- Feeds failing, silent, erroring or never fetched successfully (every feed when $all), worst
-- first.
SELECT h.feed_url, h.outlet, h.status, h.error_streak, h.last_error, h.last_success,
       h.last_new_at, h.hours_since_new, h.errors_7d, h.fetches_7d
FROM feed_health AS h
WHERE $all OR h.status <> 'ok' OR h.last_success IS NULL
ORDER BY CASE h.status WHEN 'failing' THEN 0 WHEN 'silent' THEN 1 WHEN 'erroring' THEN 2
         ELSE 3 END, h.error_streak DESC, h.feed_url
