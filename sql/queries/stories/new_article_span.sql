-- First and last time of the articles that have a signature but no story yet (NULLs: none).
-- No parameters.
SELECT min(s.seen_at), max(s.seen_at) FROM article_signatures AS s
ANTI JOIN story_articles USING (article_id)
