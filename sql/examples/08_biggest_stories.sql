-- The biggest stories: how many articles and outlets, over how long, about which conflict.
SELECT story_id, title, size, len(outlets) AS outlets, first_seen, last_seen,
    date_diff('hour', first_seen, last_seen) AS hours, main_conflict
FROM stories
ORDER BY size DESC, len(outlets) DESC, first_seen
LIMIT 10;
