-- Every feed's health, problems first. No parameters.
SELECT feed_url, outlet, status, last_success, error_streak, hours_since_new, last_error
FROM feed_health ORDER BY status = 'ok', error_streak DESC, feed_url
