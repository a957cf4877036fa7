-- First-seen time (epoch seconds) of every story that has a member seen between $1 and $2.
SELECT story_id, epoch(first_seen)::BIGINT FROM stories
WHERE story_id IN (
    SELECT DISTINCT story_id FROM story_articles
    WHERE article_id IN (SELECT article_id FROM article_signatures WHERE seen_at BETWEEN ? AND ?))
