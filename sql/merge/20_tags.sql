-- Tags are replaced as a set for every article this run touched.
DELETE FROM article_tags WHERE article_id IN (SELECT article_id FROM staged_articles);
INSERT INTO article_tags BY NAME SELECT * FROM staged_tags;
