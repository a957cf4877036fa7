-- Store a batch of signatures, replacing older ones; reads the registered Arrow table
-- `new_signatures`. No parameters.
INSERT OR REPLACE INTO article_signatures BY NAME SELECT * FROM new_signatures
