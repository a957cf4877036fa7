SELECT outlet, strftime(published_at, '%Y-%m-%d') AS day, round(conflict_score, 2) AS score,
       left(title, 70) AS title
FROM articles WHERE is_conflict ORDER BY conflict_score DESC, title LIMIT 8
