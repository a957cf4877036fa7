-- The checks recorded for the window [$start, $end): all feeds ('*') first, then problems.
SELECT * EXCLUDE (window_start, window_end, checked_at) FROM quality_checks
WHERE window_start = $start AND window_end = $end
ORDER BY feed_url = '*' DESC, status <> 'ok' DESC, feed_url
