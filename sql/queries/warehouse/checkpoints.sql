-- (unit, day) pairs finished and merged by earlier passes of source $1.
SELECT unit, day FROM backfill_checkpoints WHERE source = ?
