-- Articles not to fetch again: all but feed summaries stored because the page failed
-- transiently (worth another try). No parameters.
SELECT article_id FROM articles WHERE NOT page_retry
