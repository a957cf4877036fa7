-- Delete the stories merged into another; reads the registered Arrow table `story_renames`.
-- No parameters.
DELETE FROM stories WHERE story_id IN (SELECT old_id FROM story_renames)
