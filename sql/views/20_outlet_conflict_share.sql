-- Per outlet: all articles, conflict articles and, per conflict theatre, its share of the outlet's
-- output (`conflict` is NULL on the outlet's total row).
CREATE OR REPLACE VIEW outlet_conflict_share AS
WITH totals AS (
    SELECT outlet, count(*) AS articles, count(*) FILTER (WHERE is_conflict) AS conflict_articles
    FROM article_days GROUP BY outlet
), per_conflict AS (
    SELECT d.outlet, t.value AS conflict, count(*) AS articles
    FROM article_days AS d
    JOIN article_tags AS t ON t.article_id = d.article_id AND t.kind = 'conflict'
    GROUP BY ALL
)
SELECT o.outlet, NULL::VARCHAR AS conflict, o.articles AS outlet_articles,
    o.conflict_articles AS articles, round(o.conflict_articles / o.articles, 4) AS share
FROM totals AS o
UNION ALL
SELECT o.outlet, p.conflict, o.articles, p.articles, round(p.articles / o.articles, 4)
FROM per_conflict AS p JOIN totals AS o USING (outlet);
