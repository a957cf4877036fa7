-- IPTC Media Topics over the whole period, with the days they appeared on.
SELECT iptc_code, topic, sum(articles) AS articles, count(*) AS days, min(day) AS first_day
FROM daily_topic
GROUP BY iptc_code, topic
ORDER BY articles DESC, iptc_code;
