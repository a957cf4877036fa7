-- The stories to recompute, from the registered Arrow table `touched_rows`. No parameters.
CREATE OR REPLACE TEMP TABLE touched_stories AS SELECT * FROM touched_rows
