-- Store one feed's schedule: $1 feed_url, $2 interval_s, $3 next_due_at, $4 reason,
-- $5 last_checked_at, $6 last_outcome, $7 updated_at.
INSERT OR REPLACE INTO feed_schedule VALUES (?, ?, ?, ?, ?, ?, ?)
