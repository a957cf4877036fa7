"""`newsdesk status`: feeds that are failing or silent, and what the last passes did.

Feed health comes from the `feed_health` view (sql/views/30_feed_health.sql): failing is an error
streak of 3 or more, silent is no new item for 2 days while the warehouse kept fetching. Runs
come from `runs`, with their skip reasons from `runs.report`; the watcher's schedule, when there
is one, from `feed_schedule`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from pipeline.config import ConfigError, Settings
from pipeline.warehouse import WarehouseError, connect

_FEEDS_SQL = """
SELECT h.feed_url, h.outlet, h.status, h.error_streak, h.last_error, h.last_success,
       h.last_new_at, h.hours_since_new, h.errors_7d, h.fetches_7d
FROM feed_health AS h
WHERE $all OR h.status <> 'ok' OR h.last_success IS NULL
ORDER BY CASE h.status WHEN 'failing' THEN 0 WHEN 'silent' THEN 1 WHEN 'erroring' THEN 2
         ELSE 3 END, h.error_streak DESC, h.feed_url
"""
_RUNS_SQL = """
SELECT run_id, source, status, started_at, finished_at, feeds_total, feeds_ok, feeds_not_modified,
       feeds_error, items_new, articles_inserted, articles_updated, elapsed_s, report
FROM runs ORDER BY started_at DESC, run_id DESC LIMIT $limit
"""
_SCHEDULE_SQL = """
SELECT feed_url, interval_s, next_due_at, reason, last_outcome FROM feed_schedule
ORDER BY next_due_at, feed_url
"""


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


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
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or None)
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def read_status(
    db_path: Path, *, runs: int = 5, all_feeds: bool = False, wait_seconds: float = 5.0
) -> Status:
    """Feed health, last runs and the watch schedule, read-only."""
    with connect(db_path, read_only=True, wait_seconds=wait_seconds) as con:
        try:
            feeds = _records(con, _FEEDS_SQL, {"all": all_feeds})
            last_runs = _records(con, _RUNS_SQL, {"limit": runs})
        except duckdb.CatalogException:
            raise WarehouseError(
                f"{db_path}: not a newsdesk warehouse (run `newsdesk run` first)"
            ) from None
        try:
            schedule = _records(con, _SCHEDULE_SQL, {})
        except duckdb.CatalogException:  # no watcher has run on this database
            schedule = []
    for run in last_runs:
        report = json.loads(run.pop("report") or "{}")
        run["skipped"] = report.get("skipped", {})
    return Status(feeds=feeds, runs=last_runs, schedule=schedule)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return str(value)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def render_table(status: Status) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    if status.feeds:
        feeds = Table("status", "feed", "outlet", "errors in a row", "last error", "last success",
                      "last new item", title="Feeds needing attention")  # fmt: skip
        keys = ("status", "feed_url", "outlet", "error_streak", "last_error", "last_success")
        for f in status.feeds:
            feeds.add_row(*(_text(f[k]) for k in (*keys, "last_new_at")))
        console.print(feeds)
    else:
        console.print("All feeds healthy: none failing or silent.")
    runs = Table("run", "source", "started", "feeds ok/304/err", "new items", "inserted",
                 "seconds", "skipped", title="Last runs")  # fmt: skip
    for r in status.runs:
        runs.add_row(
            r["run_id"], r["source"], _text(r["started_at"]),
            f"{r['feeds_ok']}/{r['feeds_not_modified']}/{r['feeds_error']}",
            _text(r["items_new"]), _text(r["articles_inserted"]), _text(r["elapsed_s"]),
            _text(r["skipped"]),
        )  # fmt: skip
    console.print(runs)
    if status.schedule:
        sched = Table("feed", "interval (s)", "next due", "why", "last outcome",
                      title="Watch schedule")  # fmt: skip
        for s in status.schedule:
            sched.add_row(s["feed_url"], f"{s['interval_s']:.0f}", _text(s["next_due_at"]),
                          s["reason"], _text(s["last_outcome"]))  # fmt: skip
        console.print(sched)


def status_command(
    fmt: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StatusFormat.table,
    runs: Annotated[int, typer.Option(min=0, help="How many recent runs to show.")] = 5,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="List every feed, healthy ones too.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 1 when a feed is failing or silent.")
    ] = False,
) -> None:
    """Show failing and silent feeds, the last runs with their skip reasons, the watch schedule."""
    try:
        settings = Settings.from_env()
        status = read_status(settings.db_path, runs=runs, all_feeds=all_feeds)
    except (ConfigError, WarehouseError) as exc:
        typer.echo(f"newsdesk: {exc}", err=True)
        raise typer.Exit(2) from None
    if fmt is StatusFormat.json:
        data = {k: [{c: _jsonable(v) for c, v in row.items()} for row in rows]
                for k, rows in asdict(status).items()}  # fmt: skip
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        render_table(status)
    if check and status.problems:
        raise typer.Exit(1)
