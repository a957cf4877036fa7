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

-- A row identical to the stored one is not merged: nothing to update, no `updated_at` bump (so
-- the search index and stories do not redo it), and it is not counted as updated.
DELETE FROM staged_articles AS s
WHERE EXISTS (
    SELECT 1 FROM articles AS a
    WHERE a.article_id = s.article_id
      AND a.content_hash = s.content_hash
      AND a.text = s.text
      AND a.text_source = s.text_source
      AND a.url = s.url
      AND a.title IS NOT DISTINCT FROM coalesce(s.title, a.title)
      AND a.author IS NOT DISTINCT FROM coalesce(s.author, a.author)
      AND a.language IS NOT DISTINCT FROM coalesce(s.language, a.language)
      AND a.summary IS NOT DISTINCT FROM coalesce(s.summary, a.summary)
      AND a.sitename IS NOT DISTINCT FROM coalesce(s.sitename, a.sitename)
      AND (a.published_at IS NOT NULL OR s.published_at IS NULL)
      AND a.page_error IS NOT DISTINCT FROM s.page_error
      AND a.page_retry = s.page_retry
      AND a.is_conflict IS NOT DISTINCT FROM s.is_conflict
      AND a.conflict_score IS NOT DISTINCT FROM s.conflict_score
      AND a.tagger_version IS NOT DISTINCT FROM s.tagger_version
);

CREATE OR REPLACE TEMP TABLE staged_tags AS
SELECT DISTINCT ON (article_id, kind, value) *
FROM read_parquet($tags)
WHERE article_id IN (SELECT article_id FROM staged_articles);
