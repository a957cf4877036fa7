"""`newsdesk watch`: poll each feed when it is due, merge small batches, stop cleanly on a signal.

Every feed has its own interval. A fetch that brings new items halves it, one that brings nothing
(or a 304) stretches it by half, an error doubles it; what the publisher says is a floor: RSS
`ttl`, `sy:updatePeriod`/`sy:updateFrequency`, `Cache-Control: max-age` and `Retry-After`. The
result is kept between `watch_min_interval` (5 min) and `watch_max_interval` (24 h) and stored in
`feed_schedule`, so a restart keeps what was learnt.

Each cycle is an ordinary pass (`stage_pass` + `merge_staged`) over the feeds that are due, so
articles reach the warehouse a few feeds at a time. SIGTERM and SIGINT only ask to stop: the
cycle in flight finishes and is merged, then the loop ends. A lock file beside the database
(`<db>.watch.lock`, holding the PID, `flock`ed) keeps a second watcher off the same database.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from pipeline.config import Settings
from pipeline.http import FetchResult, parse_retry_after
from pipeline.models import Feed, FeedFetch, ParsedFeed
from pipeline.run import make_pool, new_run_id, run_source
from pipeline.sources.live import LiveSource
from pipeline.warehouse import WarehouseError, connect, ensure_schema

log = logging.getLogger(__name__)

FASTER = 0.5  # new items: poll twice as often
SLOWER = 1.5  # nothing new: poll a third less often
ON_ERROR = 2.0  # errors: back off
MAX_FEEDS_PER_CYCLE = 16  # small batches: a cycle merges at most this many feeds' articles
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


class WatchLocked(RuntimeError):
    """Another `newsdesk watch` runs on the same database; the message names its PID."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hints:
    """What the publisher says about polling, in seconds: each is a floor for the interval."""

    ttl: float | None = None
    update_period: float | None = None
    max_age: float | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """One row of `feed_schedule`."""

    feed_url: str
    interval_s: float
    next_due_at: datetime
    reason: str
    last_checked_at: datetime | None = None
    last_outcome: str | None = None


@dataclass(slots=True)
class WatchReport:
    cycles: int = 0
    failed_cycles: int = 0
    feeds_polled: int = 0
    articles_inserted: int = 0
    stopped_by: str = ""
    elapsed_s: float = 0.0
    intervals: dict[str, float] = field(default_factory=dict)


class StopFlag:
    """Set by a signal handler or a caller; checked between cycles and during sleeps."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def set(self, reason: str = "stop requested") -> None:
        if self.reason is None:
            self.reason = reason

    def is_set(self) -> bool:
        return self.reason is not None

    def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking within 0.2 s of a stop request."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.is_set() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.2, left))


# --- the interval -------------------------------------------------------------------------


def cache_max_age(value: str | None) -> float | None:
    """Seconds from a Cache-Control header's max-age (or s-maxage), or None."""
    match = _MAX_AGE.search(value or "")
    return float(match.group(1)) if match else None


def hints_from(result: FetchResult, parsed: ParsedFeed | None, *, now: datetime) -> Hints:
    """The publisher's polling hints in one feed response."""
    retry_after = None
    if result.status == 429 or result.status >= 500:
        retry_after = parse_retry_after(result.headers.get("retry-after"), now=now)
    ttl = parsed.ttl_minutes if parsed else None
    update = parsed.update_minutes if parsed else None
    return Hints(
        ttl=ttl * 60.0 if ttl else None,
        update_period=update * 60.0 if update else None,
        max_age=cache_max_age(result.headers.get("cache-control")),
        retry_after=retry_after,
    )


def next_interval(
    previous: float, *, outcome: str, items_new: int, hints: Hints, bounds: tuple[float, float]
) -> tuple[float, str]:
    """The next polling interval of a feed and the reason for it."""
    if outcome == "error":
        interval, reason = previous * ON_ERROR, "error"
    elif items_new > 0:
        interval, reason = previous * FASTER, "new-items"
    else:
        interval = previous * SLOWER
        reason = "not-modified" if outcome == "not_modified" else "no-new-items"
    # Publishers' hints are floors: poll no more often than they ask, never more rarely for them.
    floors = (
        ("ttl", hints.ttl),
        ("sy:updatePeriod", hints.update_period),
        ("cache-control", hints.max_age),
        ("retry-after", hints.retry_after),
    )
    for name, floor in floors:
        if floor is not None and floor > interval:
            interval, reason = floor, name
    low, high = bounds
    return min(max(interval, low), high), reason


# --- schedule storage ---------------------------------------------------------------------


def load_schedule(settings: Settings) -> dict[str, Schedule]:
    with connect(settings.db_path, wait_seconds=settings.lock_wait_seconds) as con:
        rows = con.execute(
            "SELECT feed_url, interval_s, next_due_at, reason, last_checked_at, last_outcome"
            " FROM feed_schedule"
        ).fetchall()
    return {
        r[0]: Schedule(
            feed_url=r[0],
            interval_s=float(r[1]),
            next_due_at=r[2].astimezone(UTC),
            reason=r[3],
            last_checked_at=r[4].astimezone(UTC) if r[4] else None,
            last_outcome=r[5],
        )
        for r in rows
    }


def save_schedule(settings: Settings, rows: Sequence[Schedule], *, now: datetime) -> None:
    with connect(settings.db_path, wait_seconds=settings.lock_wait_seconds) as con:
        con.executemany(
            "INSERT OR REPLACE INTO feed_schedule VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    s.feed_url,
                    s.interval_s,
                    s.next_due_at,
                    s.reason,
                    s.last_checked_at,
                    s.last_outcome,
                    now,
                ]
                for s in rows
            ],
        )


# --- process-level guards -----------------------------------------------------------------


@contextmanager
def watch_lock(db_path: Path) -> Iterator[Path]:
    """Hold `<db>.watch.lock` for the life of the watcher, or raise WatchLocked."""
    path = db_path.with_name(db_path.name + ".watch.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+", encoding="ascii")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise WatchLocked(
            f"{db_path}: another `newsdesk watch` is running on this database (PID {holder}); "
            "stop it (SIGTERM) before starting a new one"
        ) from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield path
    finally:
        fh.truncate(0)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@contextmanager
def stop_on_signals(stop: StopFlag) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` instead of killing the process (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not stop.is_set():
            log.info("%s received: finishing the cycle in flight, then stopping", name)
        stop.set(name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# --- the loop -----------------------------------------------------------------------------


Observation = tuple[FeedFetch, FetchResult, ParsedFeed | None]


def _reschedule(
    old: Schedule | None, seen: Observation, *, bounds: tuple[float, float]
) -> Schedule:
    fetch, result, parsed = seen
    checked = fetch.fetched_at
    previous = old.interval_s if old else bounds[0]
    interval, reason = next_interval(
        previous,
        outcome=fetch.outcome,
        items_new=fetch.items_new,
        hints=hints_from(result, parsed, now=checked),
        bounds=bounds,
    )
    return Schedule(
        feed_url=fetch.feed_url,
        interval_s=interval,
        next_due_at=checked + timedelta(seconds=interval),
        reason=reason,
        last_checked_at=checked,
        last_outcome=fetch.outcome,
    )


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
                    stop.sleep((wake - now).total_seconds())
                    continue
                report.cycles += 1
                updates = run_cycle(settings, due, now=now, pool=pool, schedule=schedule,
                                    bounds=bounds, report=report)  # fmt: skip
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
) -> list[Schedule]:
    """One pass over the due feeds, merged at once; returns and stores their new schedules."""
    seen: list[Observation] = []
    inserted = 0
    run_id = new_run_id(now)
    log.info("cycle %d started: run %s, %d feeds due", report.cycles, run_id, len(due))
    try:
        result = run_source(
            settings, LiveSource(due, run_id=run_id), now=now, pool=pool,
            observe=lambda *obs: seen.append(obs),
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
    updates = [_reschedule(schedule.get(o[0].feed_url), o, bounds=bounds) for o in seen]
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
