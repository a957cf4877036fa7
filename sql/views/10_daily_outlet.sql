-- Articles per outlet and day, with how many of them the tagger flagged as conflict coverage.
CREATE OR REPLACE VIEW daily_outlet AS
SELECT day, outlet, count(*) AS articles, count(*) FILTER (WHERE is_conflict) AS conflict_articles
FROM article_days
GROUP BY day, outlet;
