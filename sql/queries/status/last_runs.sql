-- The last $limit runs, newest first, with their counts and JSON report.
SELECT run_id, source, status, started_at, finished_at, feeds_total, feeds_ok, feeds_not_modified,
       feeds_error, items_new, articles_inserted, articles_updated, elapsed_s, report
FROM runs ORDER BY started_at DESC, run_id DESC LIMIT $limit
