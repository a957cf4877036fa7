-- `newsdesk watch`: each feed's own polling interval and next due time, kept across restarts.
CREATE TABLE IF NOT EXISTS feed_schedule (
    feed_url        VARCHAR PRIMARY KEY,
    interval_s      DOUBLE NOT NULL,               -- current polling interval, in seconds
    next_due_at     TIMESTAMPTZ NOT NULL,
    reason          VARCHAR NOT NULL,              -- what set it: new-items, no-change, error, ttl, ...
    last_checked_at TIMESTAMPTZ,
    last_outcome    VARCHAR,
    updated_at      TIMESTAMPTZ NOT NULL
);
