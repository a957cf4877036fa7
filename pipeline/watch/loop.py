"""The watch loop: poll the feeds that are due, one ordinary pass per cycle, until stopped.

Each cycle is a pass (`run_source` over a `LiveSource` of the due feeds, merged at once), so
articles reach the warehouse a few feeds at a time; each feed's next poll comes from
`watch.schedule`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.run import make_pool, new_run_id, run_source
from pipeline.sources.live import LiveSource
from pipeline.warehouse import WarehouseError, ensure_schema
from pipeline.watch.guards import StopFlag, stop_on_signals, watch_lock
from pipeline.watch.schedule import (
    Observation,
    Schedule,
    load_schedule,
    reschedule,
    save_schedule,
)

log = logging.getLogger(__name__)

MAX_FEEDS_PER_CYCLE = 16  # small batches: a cycle merges at most this many feeds' articles


@dataclass(slots=True)
class WatchReport:
    cycles: int = 0
    failed_cycles: int = 0
    feeds_polled: int = 0
    articles_inserted: int = 0
    stopped_by: str = ""
    elapsed_s: float = 0.0
    intervals: dict[str, float] = field(default_factory=dict)


def watch(
    settings: Settings,
    feeds: Sequence[Feed],
    *,
    max_cycles: int | None = None,
    until: datetime | None = None,
    stop: StopFlag | None = None,
    max_feeds_per_cycle: int = MAX_FEEDS_PER_CYCLE,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> WatchReport:
    """Poll `feeds` as they fall due until stopped, `max_cycles` cycles ran, or `until`."""
    if not feeds:
        raise ValueError("no feeds to watch")
    stop = stop or StopFlag()
    bounds = (settings.watch_min_interval, max(settings.watch_max_interval, 0.1))
    report = WatchReport()
    started = time.monotonic()
    with watch_lock(settings.db_path), stop_on_signals(stop):
        ensure_schema(settings.db_path, wait_seconds=settings.lock_wait_seconds)
        schedule = load_schedule(settings)
        with make_pool(settings.workers, ignore_sigint=True) as pool:
            while not stop.is_set():
                now = clock()
                if until is not None and now >= until:
                    stop.set("until")
                    break
                due_at = {f.url: _due_at(schedule.get(f.url), now) for f in feeds}
                due = sorted(
                    (f for f in feeds if due_at[f.url] <= now), key=lambda f: due_at[f.url]
                )
                due = due[:max_feeds_per_cycle]
                if not due:
                    wake = min(due_at.values(), default=now + timedelta(seconds=bounds[1]))
                    if until is not None:
                        wake = min(wake, until)
                    log.info("idle: next poll at %s", f"{wake:%Y-%m-%d %H:%M:%S %Z}")
                    stop.sleep((wake - now).total_seconds())
                    continue
                report.cycles += 1
                updates = run_cycle(settings, due, now=now, pool=pool, schedule=schedule,
                                    bounds=bounds, report=report, stop=stop)  # fmt: skip
                for row in updates:
                    schedule[row.feed_url] = row
                if max_cycles is not None and report.cycles >= max_cycles:
                    stop.set("max-cycles")
    report.stopped_by = stop.reason or ""
    report.elapsed_s = time.monotonic() - started
    report.intervals = {url: s.interval_s for url, s in schedule.items()}
    return report


def run_cycle(
    settings: Settings,
    due: Sequence[Feed],
    *,
    now: datetime,
    pool: ProcessPoolExecutor,
    schedule: dict[str, Schedule],
    bounds: tuple[float, float],
    report: WatchReport,
    stop: StopFlag | None = None,
) -> list[Schedule]:
    """One pass over the due feeds, merged at once; returns and stores their new schedules.

    A stop request (a signal) abandons the pages in flight: what finished is merged, and the
    feeds are due again at once, so the next start fetches the abandoned items."""
    seen: list[Observation] = []
    inserted = 0
    run_id = new_run_id(now)
    log.info("cycle %d started: run %s, %d feeds due", report.cycles, run_id, len(due))
    try:
        result = run_source(
            settings, LiveSource(due, run_id=run_id), now=now, pool=pool,
            observe=lambda *obs: seen.append(obs), stop=stop.is_set if stop else None,
        )  # fmt: skip
    except WarehouseError as exc:
        if seen:  # staged READY; the next cycle's merge takes it
            log.error("cycle %d: merge postponed: %s", report.cycles, exc)
        else:
            log.error("cycle %d failed; its feeds are retried later: %s", report.cycles, exc)
            report.failed_cycles += 1
    except Exception:  # a daemon logs a failed cycle and carries on
        log.exception("cycle %d failed; its feeds are retried later", report.cycles)
        report.failed_cycles += 1
        seen.clear()
    else:
        inserted = result.totals.articles_inserted
        report.articles_inserted += inserted
    report.feeds_polled += len(due)
    updates = [reschedule(schedule.get(o[0].feed_url), o, bounds=bounds) for o in seen]
    observed = {o[0].feed_url for o in seen}
    for feed in due:
        if feed.url not in observed:  # a failed cycle: try again after the shortest wait
            updates.append(
                Schedule(
                    feed_url=feed.url,
                    interval_s=bounds[0],
                    next_due_at=now + timedelta(seconds=bounds[0]),
                    reason="cycle-failed",
                    last_checked_at=now,
                    last_outcome="error",
                )
            )
    if stop is not None and stop.is_set():
        # Stopped mid-cycle: pages may have been abandoned; poll these feeds first next time.
        updates = [replace(u, next_due_at=now, reason="stopped-mid-cycle") for u in updates]
    try:
        save_schedule(settings, updates, now=datetime.now(UTC))
    except WarehouseError as exc:
        log.error("cycle %d: schedule not saved: %s", report.cycles, exc)
    log.info(
        "cycle %d done: %d feeds, %d articles inserted; intervals %s",
        report.cycles,
        len(due),
        inserted,
        ", ".join(f"{u.interval_s:.4g}s ({u.reason})" for u in updates),
    )
    return updates


def _due_at(row: Schedule | None, now: datetime) -> datetime:
    return now if row is None else row.next_due_at


# --- command line -------------------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")


def parse_until(value: str, *, now: datetime) -> datetime:
    """`--until`: a duration from now (90s, 10m, 2h, 1d) or an ISO date-time."""
    match = _DURATION.match(value.strip().lower())
    if match:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        return now + timedelta(seconds=float(match.group(1)) * unit)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"--until {value!r}: expected a duration (90s, 10m, 2h) or an ISO date-time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
