-- Places (countries, cities, regions) per day, ranked by the articles mentioning them.
CREATE OR REPLACE VIEW daily_places AS
SELECT d.day, t.value AS place, t.code, count(*) AS articles,
    count(DISTINCT d.outlet) AS outlets,
    rank() OVER (PARTITION BY d.day ORDER BY count(*) DESC) AS rank
FROM article_days AS d
JOIN article_tags AS t ON t.article_id = d.article_id AND t.kind = 'place'
GROUP BY d.day, t.value, t.code;
