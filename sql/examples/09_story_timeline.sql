-- The timeline of the story with the most outlets: per day, articles, outlets and languages.
SELECT day, articles, outlets, outlet_names, languages
FROM story_timeline
WHERE story_id = (
    SELECT story_id FROM stories ORDER BY len(outlets) DESC, size DESC, first_seen LIMIT 1
)
ORDER BY day;
