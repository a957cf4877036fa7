-- Tag rows in the staged batch. No parameters.
SELECT count(*) FROM staged_tags
