"""`newsdesk status`: feeds that are failing or silent, and what the last passes did.

Feed health comes from the `feed_health` view (sql/views/30_feed_health.sql): failing is an error
streak of 3 or more, silent is no new item for 2 days while the warehouse kept fetching. Runs
come from `runs`, with their skip reasons from `runs.report`; the watcher's schedule, when there
is one, from `feed_schedule`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.queries import load_query
from pipeline.warehouse import WarehouseError, connect


@dataclass(frozen=True, slots=True, kw_only=True)
class Status:
    """What `newsdesk status` shows."""

    feeds: list[dict[str, Any]]  # failing, silent, erroring or never-ok feeds (all with --all)
    runs: list[dict[str, Any]]  # the last passes, newest first, with their skip reasons
    schedule: list[dict[str, Any]]  # the watcher's per-feed intervals, soonest due first

    @property
    def problems(self) -> int:
        return sum(1 for f in self.feeds if f["status"] in ("failing", "silent"))


def _records(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    cursor = con.execute(load_query(f"status/{name}"), params or None)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def read_status(
    db_path: Path, *, runs: int = 5, all_feeds: bool = False, wait_seconds: float = 5.0
) -> Status:
    """Feed health, last runs and the watch schedule, read-only."""
    with connect(db_path, read_only=True, wait_seconds=wait_seconds) as con:
        try:
            feeds = _records(con, "problem_feeds", {"all": all_feeds})
            last_runs = _records(con, "last_runs", {"limit": runs})
        except duckdb.CatalogException:
            raise WarehouseError(
                f"{db_path}: not a newsdesk warehouse (run `newsdesk run` first)"
            ) from None
        try:
            schedule = _records(con, "schedule", {})
        except duckdb.CatalogException:  # no watcher has run on this database
            schedule = []
    for run in last_runs:
        report = json.loads(run.pop("report") or "{}")
        run["skipped"] = report.get("skipped", {})
    return Status(feeds=feeds, runs=last_runs, schedule=schedule)
