-- Each feed's HTTP validators for a conditional GET. No parameters.
SELECT feed_url, etag, last_modified FROM feeds
