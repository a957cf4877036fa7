-- Record one merged run with its counts and report ($run_id, $source, $started_at, $finished_at,
-- $feeds_total, $feeds_ok, $feeds_not_modified, $feeds_error, $items_seen, $items_new,
-- $pages_fetched, $articles_staged, $inserted, $updated, $elapsed_s, $report as JSON text).
INSERT OR REPLACE INTO runs BY NAME
SELECT $run_id AS run_id, $source AS source, $started_at::TIMESTAMPTZ AS started_at,
    $finished_at::TIMESTAMPTZ AS finished_at, 'loaded' AS status,
    $feeds_total AS feeds_total, $feeds_ok AS feeds_ok,
    $feeds_not_modified AS feeds_not_modified, $feeds_error AS feeds_error,
    $items_seen AS items_seen, $items_new AS items_new, $pages_fetched AS pages_fetched,
    $articles_staged AS articles_staged, $inserted AS articles_inserted,
    $updated AS articles_updated, $elapsed_s AS elapsed_s, $report::JSON AS report
