-- Store newly assigned articles (registered Arrow table `assigned_rows`), stamped $now.
INSERT OR REPLACE INTO story_articles BY NAME
SELECT *, $now::TIMESTAMPTZ AS assigned_at FROM assigned_rows
