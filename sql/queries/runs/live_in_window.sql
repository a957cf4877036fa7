-- Live runs started in the window [$1, $2).
SELECT count(*) FROM runs WHERE source = 'live' AND started_at >= ? AND started_at < ?
