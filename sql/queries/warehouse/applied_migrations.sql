-- Versions of the migrations already applied. No parameters.
SELECT version FROM schema_migrations
