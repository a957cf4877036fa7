-- Delete the checks recorded for the window [$start, $end), before it is checked again.
DELETE FROM quality_checks WHERE window_start = $start AND window_end = $end
