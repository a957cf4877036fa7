-- Every feed's stored polling schedule. No parameters.
SELECT feed_url, interval_s, next_due_at, reason, last_checked_at, last_outcome FROM feed_schedule
