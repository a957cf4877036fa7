-- Who was named in coverage of the Istanbul talks: actors by articles and outlets mentioning them.
SELECT a.value AS actor, count(*) AS articles, count(DISTINCT d.outlet) AS outlets
FROM article_tags AS a
JOIN article_days AS d USING (article_id)
WHERE a.kind = 'actor'
  AND a.article_id IN (SELECT article_id FROM article_tags WHERE kind = 'place' AND code = 'istanbul')
GROUP BY a.value
ORDER BY articles DESC, actor
LIMIT 15;
