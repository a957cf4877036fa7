-- Feed fetches with their UTC day. No parameters.
SELECT f.*, CAST(timezone('UTC', f.fetched_at) AS DATE) AS day FROM feed_fetches AS f
