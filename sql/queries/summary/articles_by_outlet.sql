SELECT outlet, count(*) AS articles, count(*) FILTER (WHERE is_conflict) AS conflict,
       count(*) FILTER (WHERE text_source = 'feed_summary') AS from_summary
FROM articles GROUP BY outlet ORDER BY articles DESC, outlet
