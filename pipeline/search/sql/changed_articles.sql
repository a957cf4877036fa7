-- Articles changed after the index's watermark ($since NULL: all of them), in no order, with
-- their conflict tags (values and codes, lowercased) for the index's conflict filter. Written
-- so that a rebuild streams: no ORDER BY and no CTE over `articles` read twice (DuckDB would
-- hold either in memory, texts included).
WITH conflicts AS (
    SELECT t.article_id, list(DISTINCT lower(u.v)) AS conflicts
    FROM article_tags AS t
    JOIN articles AS a USING (article_id),
         unnest([t.value, t.code]) AS u(v)
    WHERE t.kind = 'conflict' AND u.v IS NOT NULL
      AND ($since::TIMESTAMPTZ IS NULL OR a.updated_at > $since::TIMESTAMPTZ)
    GROUP BY t.article_id
)
SELECT a.article_id, a.title, a.text, a.language,
       coalesce(a.published_at, a.first_seen_at) AS seen_at, a.updated_at,
       coalesce(k.conflicts, []::VARCHAR[]) AS conflicts
FROM articles AS a
LEFT JOIN conflicts AS k USING (article_id)
WHERE $since::TIMESTAMPTZ IS NULL OR a.updated_at > $since::TIMESTAMPTZ;
