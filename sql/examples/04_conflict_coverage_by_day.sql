-- Daily coverage per conflict theatre (the view behind the report's line chart).
SELECT day, conflict, articles, outlets
FROM daily_conflict
ORDER BY day, articles DESC, conflict;
