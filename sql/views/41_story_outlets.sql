-- Which outlets covered each story: first and last article per outlet, and how many.
CREATE OR REPLACE VIEW story_outlets AS
SELECT sa.story_id, d.outlet, count(*) AS articles, min(d.seen_at) AS first_at, max(d.seen_at) AS last_at,
    arg_min(d.title, d.seen_at) AS first_title, arg_min(d.url, d.seen_at) AS first_url
FROM story_articles AS sa
JOIN article_days AS d USING (article_id)
GROUP BY ALL;
