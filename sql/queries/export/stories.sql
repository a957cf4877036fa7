-- Stories with their first UTC day. No parameters.
SELECT s.*, CAST(timezone('UTC', s.first_seen) AS DATE) AS day FROM stories AS s
