-- Define the table macro `report_scope(date_from, date_to, conflict)`: the article days in the
-- range, only those tagged with the conflict (by name or code, any case) unless it is NULL.
CREATE OR REPLACE TEMP MACRO report_scope(date_from, date_to, conflict) AS TABLE
SELECT d.* FROM article_days AS d
WHERE d.day BETWEEN date_from AND date_to
  AND (conflict::VARCHAR IS NULL OR EXISTS (
      SELECT 1 FROM article_tags AS t WHERE t.article_id = d.article_id AND t.kind = 'conflict'
        AND (lower(t.value) = lower(conflict) OR lower(t.code) = lower(conflict))))
