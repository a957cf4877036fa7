-- Articles changed after the index's watermark ($since NULL: all of them), in no order (a
-- rebuild streams them: sorting would hold the whole table in memory), with their conflict
-- tags (values and codes, lowercased) for the index's conflict filter.
WITH changed AS (
    SELECT article_id, title, text, language, updated_at,
           coalesce(published_at, first_seen_at) AS seen_at
    FROM articles
    WHERE $since::TIMESTAMPTZ IS NULL OR updated_at > $since::TIMESTAMPTZ
),
conflicts AS (
    SELECT t.article_id, list(DISTINCT lower(v)) AS conflicts
    FROM article_tags AS t, unnest([t.value, t.code]) AS u(v)
    WHERE t.kind = 'conflict' AND v IS NOT NULL
      AND t.article_id IN (SELECT article_id FROM changed)
    GROUP BY t.article_id
)
SELECT c.article_id, c.title, c.text, c.language, c.seen_at, c.updated_at,
       coalesce(k.conflicts, []::VARCHAR[]) AS conflicts
FROM changed AS c LEFT JOIN conflicts AS k USING (article_id);
