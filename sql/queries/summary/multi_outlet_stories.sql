SELECT size AS articles, len(outlets) AS outlets, main_conflict, left(title, 60) AS title
FROM stories WHERE len(outlets) > 1 ORDER BY outlets DESC, size DESC, title LIMIT 5
