-- What share of each outlet's output is conflict coverage, and of which conflicts.
SELECT outlet, coalesce(conflict, '(any conflict)') AS conflict, articles, outlet_articles,
    round(100 * share, 1) AS percent
FROM outlet_conflict_share
ORDER BY outlet, conflict NULLS FIRST, articles DESC;
