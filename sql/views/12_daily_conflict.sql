-- Articles per conflict theatre and day, and how many outlets carried them.
CREATE OR REPLACE VIEW daily_conflict AS
SELECT d.day, t.value AS conflict, t.code, count(*) AS articles,
    count(DISTINCT d.outlet) AS outlets
FROM article_days AS d
JOIN article_tags AS t ON t.article_id = d.article_id AND t.kind = 'conflict'
GROUP BY ALL;
