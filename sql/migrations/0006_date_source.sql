-- Where each article's published_at came from (feed, page, url, capture, none) and how sure that
-- is (high, medium, low, none): wrong or missing dates are the commonest complaint about news
-- extractors, so the warehouse says how far to trust each one.
ALTER TABLE articles ADD COLUMN IF NOT EXISTS date_source VARCHAR;
ALTER TABLE articles ADD COLUMN IF NOT EXISTS date_confidence VARCHAR;
