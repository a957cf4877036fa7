-- Staged articles the warehouse already holds (before the merge). No parameters.
SELECT count(*) FROM staged_articles JOIN articles USING (article_id)
