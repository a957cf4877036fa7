-- Every article with the UTC day it belongs to (publication date, else when it was first seen).
CREATE OR REPLACE VIEW article_days AS
SELECT
    a.article_id,
    CAST(timezone('UTC', coalesce(a.published_at, a.first_seen_at)) AS DATE) AS day,
    coalesce(a.published_at, a.first_seen_at) AS seen_at,
    a.outlet,
    a.language,
    a.is_conflict,
    a.title,
    a.url
FROM articles AS a;
