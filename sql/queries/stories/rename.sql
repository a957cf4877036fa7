-- Move the members of merged stories to the surviving story; reads the registered Arrow table
-- `story_renames` (old_id, new_id). No parameters.
UPDATE story_articles SET story_id = r.new_id FROM story_renames AS r
WHERE story_articles.story_id = r.old_id
