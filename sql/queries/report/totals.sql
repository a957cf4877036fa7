-- Articles, outlets, conflict articles and languages in scope ($from, $to, $conflict).
SELECT count(*), count(DISTINCT outlet), count(*) FILTER (WHERE is_conflict),
    count(DISTINCT language)
FROM report_scope($from, $to, $conflict)
