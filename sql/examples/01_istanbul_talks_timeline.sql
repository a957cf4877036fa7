-- How did coverage of the Istanbul talks evolve? Articles and outlets per day that mention
-- Istanbul and are tagged with the peace-talks event.
SELECT d.day, count(*) AS articles, count(DISTINCT d.outlet) AS outlets,
    list(DISTINCT d.language ORDER BY d.language) AS languages
FROM article_days AS d
WHERE d.article_id IN (SELECT article_id FROM article_tags WHERE kind = 'place' AND code = 'istanbul')
  AND d.article_id IN (SELECT article_id FROM article_tags WHERE kind = 'event' AND code = 'peace_talks')
GROUP BY d.day
ORDER BY d.day;
