-- Stage one run's Parquet files, keeping one row per article_id (ON CONFLICT keeps the first
-- duplicate silently, so duplicates must go first): page text beats a feed summary, newest wins.
CREATE OR REPLACE TEMP TABLE staged_articles AS
SELECT * FROM read_parquet($articles)
QUALIFY row_number() OVER (
    PARTITION BY article_id ORDER BY (text_source = 'page') DESC, fetched_at DESC
) = 1;

-- A feed summary never replaces text already taken from the page.
DELETE FROM staged_articles
WHERE text_source = 'feed_summary'
  AND article_id IN (SELECT article_id FROM articles WHERE text_source = 'page');

CREATE OR REPLACE TEMP TABLE staged_tags AS
SELECT DISTINCT ON (article_id, kind, value) *
FROM read_parquet($tags)
WHERE article_id IN (SELECT article_id FROM staged_articles);
