-- Articles per day in scope ($from, $to, $conflict).
SELECT day, count(*) FROM report_scope($from, $to, $conflict) GROUP BY day ORDER BY day
