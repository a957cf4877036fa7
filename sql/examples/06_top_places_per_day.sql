-- The three most mentioned places each day.
SELECT day, rank, place, articles, outlets
FROM daily_places
WHERE rank <= 3
ORDER BY day, rank, place;
