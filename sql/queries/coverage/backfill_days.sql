-- What a backfill covered, per day and outlet ($1 source, $2 first day, $3 last day).
SELECT day, outlet, items_found, articles_stored, pages_missing, errors
FROM coverage_days
WHERE source = $1 AND day BETWEEN $2 AND $3
ORDER BY day, outlet
