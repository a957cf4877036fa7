-- Record checks computed by sql/quality/feed_checks.sql, from the registered Arrow table
-- `checked_rows`. No parameters.
INSERT INTO quality_checks BY NAME SELECT * FROM checked_rows
