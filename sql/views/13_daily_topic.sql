-- Articles per IPTC Media Topic and day.
CREATE OR REPLACE VIEW daily_topic AS
SELECT d.day, t.code AS iptc_code, t.value AS topic, count(*) AS articles,
    count(DISTINCT d.outlet) AS outlets
FROM article_days AS d
JOIN article_tags AS t ON t.article_id = d.article_id AND t.kind = 'topic'
GROUP BY ALL;
