-- Articles without a MinHash signature, or whose text changed since theirs was computed: id,
-- title, text, content hash, the time they are dated at, and their sorted entity keys
-- (kind:code). No parameters.
SELECT a.article_id, a.title, a.text, a.content_hash, coalesce(a.published_at, a.first_seen_at),
    -- Sorted by the key itself: `ORDER BY 1` inside an aggregate sorts by the constant 1.
    (SELECT list(DISTINCT t.kind || ':' || coalesce(t.code, t.value)
                 ORDER BY t.kind || ':' || coalesce(t.code, t.value))
     FROM article_tags AS t
     WHERE t.article_id = a.article_id AND t.kind IN ('actor', 'place', 'conflict', 'event'))
FROM articles AS a
LEFT JOIN article_signatures AS s USING (article_id)
WHERE s.article_id IS NULL OR s.content_hash <> a.content_hash
