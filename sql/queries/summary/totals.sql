-- Articles stored and the outlets they came from.
SELECT count(*), count(DISTINCT outlet) FROM articles
