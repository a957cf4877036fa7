-- Story memberships with their article's day. No parameters.
SELECT sa.*, d.day FROM story_articles AS sa JOIN article_days AS d USING (article_id)
