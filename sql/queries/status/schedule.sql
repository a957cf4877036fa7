-- The watcher's per-feed schedule, soonest due first. No parameters.
SELECT feed_url, interval_s, next_due_at, reason, last_outcome FROM feed_schedule
ORDER BY next_due_at, feed_url
