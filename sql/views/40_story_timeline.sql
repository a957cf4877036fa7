-- Story timelines: per story and day, its articles, outlets and languages.
CREATE OR REPLACE VIEW story_timeline AS
SELECT s.story_id, s.title AS story_title, s.main_conflict, d.day,
    count(*) AS articles,
    count(DISTINCT d.outlet) AS outlets,
    list(DISTINCT d.outlet ORDER BY d.outlet) AS outlet_names,
    list(DISTINCT d.language ORDER BY d.language) AS languages,
    count(*) FILTER (WHERE sa.duplicate IS NOT NULL) AS copies
FROM story_articles AS sa
JOIN stories AS s USING (story_id)
JOIN article_days AS d USING (article_id)
GROUP BY ALL;
