-- Every stored article as the feed item it was found as (reprocess matches captures to these).
SELECT article_id, url, canonical_url, feed_url, outlet, title, summary, author, published_at,
       language
FROM articles
