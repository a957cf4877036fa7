-- Is $1 the name or code of a conflict some article is tagged with?
SELECT count(*) > 0 FROM article_tags
WHERE kind = 'conflict' AND (lower(value) = lower($1) OR lower(code) = lower($1))
