"""Polling policy and its storage: each feed's next interval, kept in `feed_schedule`.

Every feed has its own interval. A fetch that brings new items halves it, one that brings nothing
(or a 304) stretches it by half, an error doubles it; what the publisher says is a floor: RSS
`ttl`, `sy:updatePeriod`/`sy:updateFrequency`, `Cache-Control: max-age` and `Retry-After`. The
result is kept between `watch_min_interval` (5 min) and `watch_max_interval` (24 h) and stored in
`feed_schedule`, so a restart keeps what was learnt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipeline.config import Settings
from pipeline.http import FetchResult, parse_retry_after
from pipeline.models import FeedFetch, ParsedFeed
from pipeline.queries import load_query
from pipeline.warehouse import connect

FASTER = 0.5  # new items: poll twice as often
SLOWER = 1.5  # nothing new: poll a third less often
ON_ERROR = 2.0  # errors: back off
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


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
    """The stored schedule of every feed, by feed URL."""
    with connect(settings.db_path, wait_seconds=settings.lock_wait_seconds) as con:
        rows = con.execute(load_query("watch/load_schedule")).fetchall()
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
    """Store (replace) the schedules of these feeds."""
    with connect(settings.db_path, wait_seconds=settings.lock_wait_seconds) as con:
        con.executemany(
            load_query("watch/save_schedule"),
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


# --- after a fetch -------------------------------------------------------------------------


Observation = tuple[FeedFetch, FetchResult, ParsedFeed | None]


def reschedule(old: Schedule | None, seen: Observation, *, bounds: tuple[float, float]) -> Schedule:
    """A feed's next schedule after one observed fetch."""
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
