-- The $top tag values of kind $kind (actor, place) in scope ($from, $to, $conflict): articles,
-- outlets.
SELECT t.value, count(*) AS n, count(DISTINCT s.outlet)
FROM report_scope($from, $to, $conflict) AS s JOIN article_tags AS t
  ON t.article_id = s.article_id AND t.kind = $kind
GROUP BY t.value ORDER BY n DESC, t.value LIMIT $top
