-- Record one applied migration: $1 version, $2 name, $3 applied at.
INSERT INTO schema_migrations VALUES (?, ?, ?)
