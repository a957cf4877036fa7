-- Feed health: feeds that are failing, silent or erroring first, with their last success.
SELECT feed_url, outlet, status, last_success, error_streak, hours_since_new, last_error
FROM feed_health
ORDER BY status = 'ok', error_streak DESC, feed_url;
