"""A small synchronous facade for scheduled tasks (the Airflow DAGs call these, one per task).

Every function takes `Settings` and plain values and returns a small JSON-safe dict: counts,
paths and run ids, never data. Nothing here imports Airflow; the heavy pipeline modules are
imported inside the functions, so a DAG file that imports this module parses quickly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import pickle
import re
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pipeline.childproc import run_child, setup_child_logging

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.models import Feed

log = logging.getLogger(__name__)

DEFAULT_INGEST_SCHEDULE = "*/30 * * * *"
DEFAULT_INGEST_SHARDS = 4
PLAN_KEEP_SECONDS = 2 * 24 * 3600
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_OFF = {"off", "none", "manual", ""}


# --- scheduling knobs (read when a DAG file is parsed, so they stay cheap) --------------------


def ingest_schedule(env: Mapping[str, str] | None = None) -> str | None:
    """`NEWSDESK_INGEST_SCHEDULE`: a cron expression or preset; `off` for manual runs only."""
    env = os.environ if env is None else env
    raw = env.get("NEWSDESK_INGEST_SCHEDULE")
    if raw is None:
        return DEFAULT_INGEST_SCHEDULE
    value = raw.strip()
    return None if value.lower() in _OFF else value


def ingest_shards(env: Mapping[str, str] | None = None) -> int:
    """`NEWSDESK_INGEST_SHARDS`: how many parallel fetch tasks one ingest run splits into."""
    from pipeline.config import ConfigError

    env = os.environ if env is None else env
    raw = (env.get("NEWSDESK_INGEST_SHARDS") or "").strip()
    if not raw:
        return DEFAULT_INGEST_SHARDS
    if not raw.isdigit() or not 1 <= int(raw) <= 1024:
        raise ConfigError(f"NEWSDESK_INGEST_SHARDS={raw!r}: expected a whole number 1..1024")
    return int(raw)


def deterministic_errors() -> tuple[type[Exception], ...]:
    """Failures that another attempt cannot fix (bad settings, unreadable feed list)."""
    from pipeline.config import ConfigError
    from pipeline.feeds import FeedListError
    from pipeline.sources.base import SourceError

    return (ConfigError, FeedListError, SourceError)


def newsdesk_run_id(prefix: str, scheduler_run_id: str) -> str:
    """A filesystem-safe newsdesk run id from a scheduler's run id; the same input, the same id.

    Retries of a task reuse the scheduler's run id, so they restage the same folder.
    """
    safe = _UNSAFE.sub("_", scheduler_run_id).strip("._-") or "run"
    if len(safe) > 80:  # keep staging paths short; the digest keeps long ids distinct
        digest = hashlib.sha256(scheduler_run_id.encode()).hexdigest()[:10]
        safe = f"{safe[:69]}-{digest}"
    return f"{prefix}-{safe}"


# --- newsdesk_ingest --------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.netloc or '').lower()}"


def split_feeds(feeds: Sequence[Feed], shards: int) -> list[list[Feed]]:
    """Split feeds into at most `shards` groups; all feeds of one origin share a group.

    Per-host politeness (delay, concurrency, robots.txt) lives inside one pass, so one host
    must never be polled by two shards at once. Origins are placed largest first into the
    smallest group, which keeps groups even.
    """
    by_origin: dict[str, list[Feed]] = {}
    for feed in feeds:
        by_origin.setdefault(_origin(feed.url), []).append(feed)
    groups: list[list[Feed]] = [[] for _ in range(max(1, min(shards, len(by_origin))))]
    for _, members in sorted(by_origin.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(groups, key=len).extend(members)
    return [g for g in groups if g]


def _prune_plans(plans_dir: Path, *, keep: str) -> None:
    if not plans_dir.exists():
        return
    cutoff = time.time() - PLAN_KEEP_SECONDS
    for path in plans_dir.iterdir():
        if path.name != keep and path.is_dir() and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)


def plan_shards(settings: Settings, *, run_id: str, shards: int) -> list[dict[str, Any]]:
    """Read the feed list, split it into shards and write one feed file per shard.

    Returns one small dict per shard: its number, its staging run id and its feed file.
    The feed files live under `NEWSDESK_DATA_DIR/plans/<run_id>/`, so a retried shard
    polls exactly the feeds it was planned with.
    """
    from pipeline.feeds import load_feeds, write_csv

    feeds = load_feeds(settings.feeds_path)
    plans_dir = settings.data_dir.resolve() / "plans"  # absolute: workers may start elsewhere
    folder = plans_dir / run_id
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    out = []
    for n, group in enumerate(split_feeds(feeds, shards)):
        path = folder / f"shard-{n:03d}.csv"
        write_csv(path, group)
        out.append(
            {
                "shard": n,
                "run_id": f"{run_id}-s{n}",
                "feeds_file": str(path),
                "feeds": len(group),
                "origins": len({_origin(f.url) for f in group}),
            }
        )
    _prune_plans(plans_dir, keep=run_id)
    log.info("planned %d feeds from %s in %d shards", len(feeds), settings.feeds_path, len(out))
    return out


def stage_shard(settings: Settings, *, shard: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Fetch, extract and tag one shard's feeds; stage them for the loader. Returns the counts.

    The pass runs in a fresh interpreter (`python -m pipeline.tasks`). Its extraction workers
    start from a forkserver, and every worker first re-imports the parent's `__main__`: inside
    an Airflow task that is the `airflow` command, which cannot even start there (a task
    process has no metadata-database access), so every page would fail. A child whose
    `__main__` is this module keeps the workers clean and isolates the pass's memory.
    """
    return run_child(
        ["pipeline.tasks", "stage-shard"],
        {"settings": settings, "shard": dict(shard), "now": now},
        label=f"shard {shard.get('shard')}",
        deterministic=deterministic_errors(),
    )


def _stage_in_process(
    settings: Settings, *, shard: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    from pipeline.feeds import FeedListError, load_feeds
    from pipeline.run import stage_pass

    feeds_file = Path(str(shard["feeds_file"]))
    if not feeds_file.exists():
        raise FeedListError(
            f"{feeds_file}: shard plan not found; NEWSDESK_DATA_DIR must be shared by all workers"
        )
    feeds = load_feeds(feeds_file)
    # The pass stages only; the DAG's load task merges (pool duckdb_writer).
    report = asyncio.run(stage_pass(settings, feeds=feeds, run_id=str(shard["run_id"]), now=now))
    out = report.as_dict()
    out["shard"] = shard["shard"]
    return out


def _stage_child() -> int:
    """`python -m pipeline.tasks stage-shard`: a pickled request on stdin, a JSON result file."""
    setup_child_logging()
    request = pickle.loads(sys.stdin.buffer.read())  # written by stage_shard, our own parent
    result_path: Path = request["result"]
    try:
        result = _stage_in_process(request["settings"], shard=request["shard"], now=request["now"])
    except deterministic_errors() as exc:
        result = {"error_type": type(exc).__name__, "error": str(exc)}
    result_path.write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0 if "error" not in result else 3


def load(settings: Settings) -> dict[str, Any]:
    """Merge every staged run that is ready into DuckDB (the only read-write use of the file)."""
    from pipeline.run import merge_staged

    results, _ = merge_staged(settings)
    return {
        "db": str(settings.db_path),
        "runs": [r.run_id for r in results],
        "inserted": sum(r.inserted for r in results),
        "updated": sum(r.updated for r in results),
        "tags": sum(r.tags for r in results),
        "feeds": sum(r.feeds for r in results),
    }


# --- per-window steps (newsdesk_daily, and the ingest run's own checks) ------------------------


def quality_checks(
    settings: Settings, *, start: datetime, end: datetime, record: bool = False
) -> dict[str, Any]:
    """Per-feed volume against earlier windows, silent and failing feeds, summary fallbacks."""
    from pipeline.quality import check_window

    return check_window(
        settings.db_path,
        start=start,
        end=end,
        record=record,
        wait_seconds=settings.lock_wait_seconds,
    )


def daily_archive(
    settings: Settings, *, start: datetime, end: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """Fill the window [start, end) from the archive sources in `NEWSDESK_BACKFILL_SOURCES`.

    Each source stages its runs (one per day) for the load task, which merges them with their
    coverage rows and checkpoints; a retried task skips the units already merged. A window that
    is not over yet, or no source configured, is recorded and nothing is fetched.
    """
    from datetime import UTC

    from pipeline.queries import load_query
    from pipeline.warehouse import query

    now = now or datetime.now(UTC)
    live_runs = 0
    if settings.db_path.exists():
        _, rows = query(
            settings.db_path,
            load_query("runs/live_in_window"),
            [start, end],
            wait_seconds=settings.lock_wait_seconds,
        )
        live_runs = int(rows[0][0]) if rows else 0
    out: dict[str, Any] = {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "sources": list(settings.backfill_sources),
        "live_runs_in_window": live_runs,
        "articles_staged": 0,
        "items_found": 0,
        "runs": [],
    }
    if not settings.backfill_sources:
        log.info(
            "archive for %s..%s: no archive sources are configured (%d live runs in the window)",
            start.isoformat(),
            end.isoformat(),
            live_runs,
        )
        return {**out, "status": "no_archive_sources"}
    if end > now:
        log.info("archive for %s..%s: the window is not over yet", start, end)
        return {**out, "status": "window_not_over"}
    for source in settings.backfill_sources:
        result = _backfill_child(settings, source=source, start=start, end=end, now=now)
        keep = ("items_found", "articles_staged", "units_done", "units_resumed", "units_failed")
        out[source] = {k: result[k] for k in (*keep, "skipped")}
        out["articles_staged"] += int(result["articles_staged"])
        out["items_found"] += int(result["items_found"])
        out["runs"].extend(result["runs"])
    return {**out, "status": "backfilled"}


def _backfill_child(
    settings: Settings, *, source: str, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """Run one source's backfill in a fresh interpreter (`python -m pipeline.backfill`)."""
    return run_child(
        ["pipeline.backfill"],
        {"settings": settings, "source": source, "start": start, "end": end, "now": now},
        label=f"backfill {source}",
        deterministic=deterministic_errors(),
    )


def trailing_window(end: datetime, hours: float = 24) -> tuple[datetime, datetime]:
    """The `hours` before `end`: the window a live run checks."""
    return end - timedelta(hours=hours), end


if __name__ == "__main__":
    if sys.argv[1:] != ["stage-shard"]:
        sys.exit("usage: python -m pipeline.tasks stage-shard  (a pickled request on stdin)")
    sys.exit(_stage_child())
