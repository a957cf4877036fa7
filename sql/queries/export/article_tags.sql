-- Tags with their article's day. No parameters.
SELECT t.*, d.day FROM article_tags AS t JOIN article_days AS d USING (article_id)
