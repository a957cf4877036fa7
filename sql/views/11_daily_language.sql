-- Articles per language and day (`und` when no language was detected).
CREATE OR REPLACE VIEW daily_language AS
SELECT day, coalesce(language, 'und') AS language, count(*) AS articles,
    count(*) FILTER (WHERE is_conflict) AS conflict_articles
FROM article_days
GROUP BY ALL;
