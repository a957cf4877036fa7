-- Signed articles seen between $1 and $2 (the new ones and their neighbours in time), with their
-- story if they have one, in time order.
SELECT s.article_id, epoch(s.seen_at)::BIGINT AS seen, s.shingles, s.words, s.content_hash,
    s.entities, sa.story_id
FROM article_signatures AS s LEFT JOIN story_articles AS sa USING (article_id)
WHERE s.seen_at BETWEEN ? AND ?
ORDER BY s.seen_at, s.article_id
