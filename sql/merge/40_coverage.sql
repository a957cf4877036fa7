-- Backfill coverage of one staged run: the items it found (filed by day), the per-day counts
-- they imply, and the run's resume checkpoints. Repeating a run leaves the same rows.
CREATE OR REPLACE TEMP TABLE staged_coverage AS
SELECT * FROM read_parquet($coverage);

INSERT INTO coverage_items BY NAME
SELECT DISTINCT ON (day, outlet, source, article_id) day, outlet, source, article_id, url
FROM staged_coverage
WHERE article_id IS NOT NULL
ON CONFLICT DO NOTHING;

-- Days whose counts may change: those this run covered, and those holding an item found
-- earlier (perhaps by another run) whose article this run stored.
CREATE OR REPLACE TEMP TABLE touched_days AS
SELECT DISTINCT day, outlet, source FROM staged_coverage
UNION
SELECT DISTINCT day, outlet, source FROM coverage_items
WHERE article_id IN (SELECT article_id FROM staged_articles);

INSERT INTO coverage_days BY NAME
SELECT day, outlet, source, 0 AS captures, 0 AS items_found, 0 AS articles_stored,
    0 AS pages_missing, 0 AS errors, $now::TIMESTAMPTZ AS updated_at
FROM touched_days
ON CONFLICT DO NOTHING;

-- Captures read and errors met, as this run saw them (a rerun sees at least as many captures).
UPDATE coverage_days SET
    captures = greatest(coverage_days.captures, d.captures),
    errors = d.errors,
    updated_at = $now::TIMESTAMPTZ
FROM (
    SELECT day, outlet, source, sum(captures)::INTEGER AS captures, sum(errors)::INTEGER AS errors
    FROM staged_coverage
    WHERE article_id IS NULL
    GROUP BY day, outlet, source
) AS d
WHERE coverage_days.day = d.day AND coverage_days.outlet = d.outlet
  AND coverage_days.source = d.source;

-- Counts always come from the items and the articles table, never from a run's own tally.
UPDATE coverage_days SET
    items_found = s.items_found,
    articles_stored = s.articles_stored,
    pages_missing = s.pages_missing,
    updated_at = $now::TIMESTAMPTZ
FROM (
    SELECT c.day, c.outlet, c.source,
        count(*)::INTEGER AS items_found,
        count(a.article_id)::INTEGER AS articles_stored,
        (count(*) - count(*) FILTER (WHERE a.text_source = 'page'))::INTEGER AS pages_missing
    FROM coverage_items AS c
    JOIN touched_days AS t ON c.day = t.day AND c.outlet = t.outlet AND c.source = t.source
    LEFT JOIN articles AS a ON a.article_id = c.article_id
    GROUP BY c.day, c.outlet, c.source
) AS s
WHERE coverage_days.day = s.day AND coverage_days.outlet = s.outlet
  AND coverage_days.source = s.source;

-- Checkpoints commit with the data they vouch for: a killed backfill resumes after them.
INSERT OR REPLACE INTO backfill_checkpoints BY NAME
SELECT source, unit, day, run_id, $now::TIMESTAMPTZ AS finished_at
FROM read_parquet($checkpoints);
