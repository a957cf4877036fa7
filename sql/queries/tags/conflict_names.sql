-- The conflicts articles are tagged with, for an error message naming the known ones.
SELECT DISTINCT value FROM article_tags WHERE kind = 'conflict' ORDER BY value LIMIT 20
