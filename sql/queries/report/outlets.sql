-- The twelve outlets with most articles in scope ($from, $to, $conflict): articles, conflict
-- articles.
SELECT coalesce(outlet, '(unknown)'), count(*), count(*) FILTER (WHERE is_conflict)
FROM report_scope($from, $to, $conflict)
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 12
