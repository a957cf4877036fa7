-- Which outlets covered the Istanbul talks, when they first did, and with what headline.
SELECT d.outlet, count(*) AS articles, min(d.seen_at) AS first_article,
    arg_min(d.title, d.seen_at) AS first_headline
FROM article_days AS d
JOIN article_tags AS t ON t.article_id = d.article_id AND t.kind = 'place' AND t.code = 'istanbul'
WHERE d.is_conflict
GROUP BY d.outlet
ORDER BY first_article;
