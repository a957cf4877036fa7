SELECT feed_url, last_status, last_error FROM feeds WHERE last_error IS NOT NULL
ORDER BY feed_url
