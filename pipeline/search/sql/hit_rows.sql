-- What a search shows of its hits: the warehouse row of each article id the index returned.
SELECT article_id, published_at, outlet, title, url, text
FROM articles
WHERE article_id IN (SELECT unnest($ids::VARCHAR[]));
