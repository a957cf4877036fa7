-- The $top biggest stories (2+ articles) in scope ($from, $to, $conflict), with their span,
-- outlets, main conflict and earliest URL.
SELECT st.story_id, st.title, count(*) AS n, count(DISTINCT s.outlet) AS outlets,
    min(s.seen_at) AS first_at, max(s.seen_at) AS last_at, st.main_conflict,
    arg_min(s.url, (s.seen_at, s.article_id)) AS url,
    string_agg(DISTINCT s.outlet, ', ' ORDER BY s.outlet) AS names
FROM report_scope($from, $to, $conflict) AS s JOIN story_articles AS sa USING (article_id)
JOIN stories AS st USING (story_id)
GROUP BY st.story_id, st.title, st.main_conflict
HAVING count(*) > 1
ORDER BY n DESC, outlets DESC, first_at, st.story_id LIMIT $top
