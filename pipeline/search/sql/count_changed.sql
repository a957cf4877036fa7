-- How many articles changed after the index's watermark (an increment, or a rebuild's worth).
SELECT count(*) FROM articles WHERE updated_at > $since::TIMESTAMPTZ;
