-- Articles with the UTC day they are filed under (publication, else first seen). No parameters.
SELECT a.*, d.day FROM articles AS a JOIN article_days AS d USING (article_id)
