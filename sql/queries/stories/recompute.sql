-- Recompute the summary row of every story in `touched_stories` (span, title, size, outlets,
-- main conflict), stamped $now.
INSERT OR REPLACE INTO stories BY NAME
WITH members AS (
    SELECT sa.story_id, a.article_id, a.outlet, a.title, a.text_source,
        coalesce(a.published_at, a.first_seen_at) AS seen_at
    FROM story_articles AS sa JOIN articles AS a USING (article_id)
    WHERE sa.story_id IN (SELECT story_id FROM touched_stories)
), conflicts AS (
    SELECT m.story_id, t.value, count(*) AS n
    FROM members AS m JOIN article_tags AS t ON t.article_id = m.article_id AND t.kind = 'conflict'
    GROUP BY ALL
)
SELECT m.story_id, min(m.seen_at) AS first_seen, max(m.seen_at) AS last_seen,
    arg_min(m.title, (m.text_source <> 'page', m.seen_at, m.article_id)) AS title,
    count(*) AS size,
    coalesce(list(DISTINCT m.outlet ORDER BY m.outlet) FILTER (WHERE m.outlet IS NOT NULL),
        []::VARCHAR[]) AS outlets,
    (SELECT arg_max(c.value, (c.n, c.value)) FROM conflicts AS c WHERE c.story_id = m.story_id)
        AS main_conflict,
    $now::TIMESTAMPTZ AS updated_at
FROM members AS m
GROUP BY m.story_id
