-- Articles in the staged batch (temp table from sql/merge/00_stage.sql). No parameters.
SELECT count(*) FROM staged_articles
