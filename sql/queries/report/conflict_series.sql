-- Articles per day for the six conflicts with most articles in scope ($from, $to, $conflict).
WITH per AS (
    SELECT t.value AS conflict, s.day, count(*) AS n
    FROM report_scope($from, $to, $conflict) AS s JOIN article_tags AS t
      ON t.article_id = s.article_id AND t.kind = 'conflict'
    GROUP BY ALL
), ranked AS (
    SELECT conflict, sum(n) AS total FROM per GROUP BY conflict
    ORDER BY total DESC, conflict LIMIT 6
)
SELECT per.conflict, per.day, per.n FROM per JOIN ranked USING (conflict)
ORDER BY ranked.total DESC, per.conflict, per.day
