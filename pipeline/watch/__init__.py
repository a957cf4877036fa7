"""`newsdesk watch`: poll each feed when it is due, merge small batches, stop cleanly on a signal.

Every feed has its own interval. A fetch that brings new items halves it, one that brings nothing
(or a 304) stretches it by half, an error doubles it; what the publisher says is a floor: RSS
`ttl`, `sy:updatePeriod`/`sy:updateFrequency`, `Cache-Control: max-age` and `Retry-After`. The
result is kept between `watch_min_interval` (5 min) and `watch_max_interval` (24 h) and stored in
`feed_schedule`, so a restart keeps what was learnt.

Each cycle is an ordinary pass (`run_source` over a `LiveSource` of the feeds that are due), so
articles reach the warehouse a few feeds at a time. SIGTERM and SIGINT only ask to stop: the
cycle in flight finishes and is merged, then the loop ends. A lock file beside the database
(`<db>.watch.lock`, holding the PID, `flock`ed) keeps a second watcher off the same database.

Modules: `schedule` (the interval policy and `feed_schedule`), `guards` (lock file, signals),
`loop` (the cycles).
"""

from __future__ import annotations

from pipeline.watch.guards import StopFlag, WatchLocked, stop_on_signals, watch_lock
from pipeline.watch.loop import MAX_FEEDS_PER_CYCLE, WatchReport, parse_until, run_cycle, watch
from pipeline.watch.schedule import (
    Hints,
    Schedule,
    cache_max_age,
    hints_from,
    load_schedule,
    next_interval,
    reschedule,
    save_schedule,
)

__all__ = [
    "MAX_FEEDS_PER_CYCLE",
    "Hints",
    "Schedule",
    "StopFlag",
    "WatchLocked",
    "WatchReport",
    "cache_max_age",
    "hints_from",
    "load_schedule",
    "next_interval",
    "parse_until",
    "reschedule",
    "run_cycle",
    "save_schedule",
    "stop_on_signals",
    "watch",
    "watch_lock",
]
