"""The DuckDB warehouse: connect (waiting out other writers), migrate, merge staged runs."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import PROJECT_ROOT
from pipeline.queries import load_query
from pipeline.staging import discard_stale, pending_runs

log = logging.getLogger(__name__)

SQL_DIR = PROJECT_ROOT / "sql"
_LOCK_HOLDER = re.compile(
    r"Conflicting lock is held in (.+?)(?: \(PID (\d+)\))?(?:\. See |$)", re.M
)


class WarehouseError(RuntimeError):
    """The warehouse cannot be used; the message says which file and why."""


class WarehouseLocked(WarehouseError):
    """Another process holds the DuckDB file; the message names it."""


def _lock_message(path: Path, exc: Exception, waited: float) -> str:
    match = _LOCK_HOLDER.search(str(exc))
    holder = "another process"
    if match:
        holder = match.group(1).strip()
        if match.group(2):
            holder += f" (PID {match.group(2)})"
    return (
        f"{path}: database is locked by {holder}; waited {waited:.0f}s. "
        "Close that connection (an analyst's duckdb shell or notebook?) and run again; "
        "staged data is kept and merged by the next pass."
    )


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait_seconds: float = 30.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the DuckDB file, retrying with backoff while another process holds its lock."""
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no database yet (run `newsdesk run` first)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    started = time.monotonic()
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"{path}: cannot open database: {exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    _lock_message(path, exc, time.monotonic() - started)
                ) from None
            time.sleep(min(delay * (1 + random.random()), max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 5.0)
        except duckdb.Error as exc:
            raise WarehouseError(f"{path}: cannot open database: {exc}") from None
    try:
        yield con
    finally:
        con.close()


def crash_point(point: str) -> None:
    """Test hook: `NEWSDESK_TEST_CRASH_AT=<point>` SIGKILLs this process here (tests/test_crash.py).

    Points: `load` (runs staged and READY, nothing merged), `merge` (a run's rows written, its
    transaction not committed) and `merged` (committed, its staging not yet removed). Read from
    os.environ on purpose: it is not a setting.
    """
    if os.environ.get("NEWSDESK_TEST_CRASH_AT") == point:
        if os.getpgid(0) == os.getpid():  # a group leader takes its extraction workers along
            os.killpg(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def migrations() -> list[tuple[int, str, Path]]:
    """The numbered migrations in `sql/migrations/`, in order."""
    out = []
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        number, _, name = path.stem.partition("_")
        out.append((int(number), name, path))
    return out


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded in `schema_migrations`; returns those applied."""
    con.execute(load_query("warehouse/create_migrations"))
    done = {row[0] for row in con.execute(load_query("warehouse/applied_migrations")).fetchall()}
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        con.begin()
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                load_query("warehouse/record_migration"), [version, name, datetime.now(UTC)]
            )
            con.commit()
        except Exception:
            con.rollback()
            raise
        applied.append(version)
    apply_views(con)
    return applied


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the views of `sql/views/` in file order, so an edited view takes effect."""
    for path in sorted((SQL_DIR / "views").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def ensure_schema(path: Path, *, wait_seconds: float = 30.0) -> None:
    with connect(path, wait_seconds=wait_seconds) as con:
        migrate(con)


# --- reading state for a pass -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownState:
    """What a pass needs to know from the warehouse before it starts."""

    done_ids: frozenset[str]  # articles not to fetch again
    validators: dict[str, tuple[str | None, str | None]]  # feed_url -> (etag, last_modified)


def read_state(path: Path, *, wait_seconds: float = 30.0) -> KnownState:
    """Known article ids and feed validators; an empty state when there is no database yet."""
    if not path.exists():
        return KnownState(done_ids=frozenset(), validators={})
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        try:
            # A feed summary stored because the page failed transiently is worth another try.
            ids = con.execute(load_query("warehouse/done_ids")).fetchall()
            feeds = con.execute(load_query("warehouse/feed_validators")).fetchall()
        except duckdb.CatalogException:  # a file created but never migrated
            return KnownState(done_ids=frozenset(), validators={})
    return KnownState(
        done_ids=frozenset(r[0] for r in ids),
        validators={r[0]: (r[1], r[2]) for r in feeds},
    )


# --- merging staged runs ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    run_id: str
    inserted: int
    updated: int
    tags: int
    feeds: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "inserted": self.inserted,
            "updated": self.updated,
            "tags": self.tags,
            "feeds": self.feeds,
        }


_PARAM = re.compile(r"\$([a-z_]+)")


def run_script(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> None:
    """Run the statements of `sql/merge/<name>` in order, each with the parameters it names."""
    text = (SQL_DIR / "merge" / name).read_text(encoding="utf-8")
    for statement in (s.strip() for s in re.split(r";\s*(?:\n|$)", text)):
        if not statement or all(line.lstrip().startswith("--") for line in statement.splitlines()):
            continue
        names = set(_PARAM.findall(statement))
        con.execute(statement, {k: v for k, v in (params or {}).items() if k in names} or None)


def merge_run(con: duckdb.DuckDBPyConnection, staged: Path, *, now: datetime) -> LoadResult:
    """Merge one staged run in one transaction; safe to repeat."""
    meta = json.loads((staged / "run.json").read_text(encoding="utf-8"))
    params = {
        "articles": str(staged / "articles-*.parquet"),
        "tags": str(staged / "tags-*.parquet"),
    }
    con.begin()
    try:
        run_script(con, "00_stage.sql", params)
        staged_ids = con.execute(load_query("warehouse/count_staged")).fetchone()
        existing = con.execute(load_query("warehouse/count_existing")).fetchone()
        run_script(con, "10_articles.sql", {"now": now})
        run_script(con, "20_tags.sql")
        tags = con.execute(load_query("warehouse/count_staged_tags")).fetchone()
        feeds = 0
        if (staged / "fetches.parquet").exists():
            run_script(con, "30_feeds.sql", {"fetches": str(staged / "fetches.parquet")})
            row = con.execute(
                load_query("warehouse/count_fetches"), [str(staged / "fetches.parquet")]
            ).fetchone()
            feeds = int(row[0]) if row else 0
        if (staged / "coverage.parquet").exists():
            run_script(
                con,
                "40_coverage.sql",
                {
                    "coverage": str(staged / "coverage.parquet"),
                    "checkpoints": str(staged / "checkpoints.parquet"),
                    "now": now,
                },
            )
        n_staged = int(staged_ids[0]) if staged_ids else 0
        n_existing = int(existing[0]) if existing else 0
        result = LoadResult(
            run_id=meta["run_id"],
            inserted=n_staged - n_existing,
            updated=n_existing,
            tags=int(tags[0]) if tags else 0,
            feeds=feeds,
        )
        report = dict(meta.get("report") or {})
        report["articles_inserted"] = result.inserted
        report["articles_updated"] = result.updated
        con.execute(
            load_query("warehouse/record_run"),
            {
                "run_id": meta["run_id"],
                "source": meta.get("source", "live"),
                "started_at": meta["started_at"],
                "finished_at": now,
                "feeds_total": report.get("feeds_total", 0),
                "feeds_ok": report.get("feeds_ok", 0),
                "feeds_not_modified": report.get("feeds_not_modified", 0),
                "feeds_error": report.get("feeds_error", 0),
                "items_seen": report.get("items_seen", 0),
                "items_new": report.get("items_new", 0),
                "pages_fetched": report.get("pages_fetched", 0),
                "articles_staged": report.get("articles_staged", 0),
                "inserted": result.inserted,
                "updated": result.updated,
                "elapsed_s": report.get("elapsed_s", 0.0),
                "report": json.dumps(report),
            },
        )
        crash_point("merge")
        con.commit()
    except Exception:
        con.rollback()
        raise
    return result


def load_staged(
    db_path: Path, staging_dir: Path, *, now: datetime | None = None, wait_seconds: float = 30.0
) -> list[LoadResult]:
    """Merge every staged run that is ready (leftovers of killed or blocked passes first)."""
    discard_stale(staging_dir)
    runs = pending_runs(staging_dir)
    if not runs:
        return []
    crash_point("load")
    results = []
    with connect(db_path, wait_seconds=wait_seconds) as con:
        migrate(con)
        for staged in runs:
            results.append(merge_run(con, staged, now=now or datetime.now(UTC)))
            # Only after the commit: a crash before this line just merges the run again.
            crash_point("merged")
            shutil.rmtree(staged, ignore_errors=True)
    return results


def query(
    path: Path,
    sql: str,
    params: list[Any] | None = None,
    *,
    wait_seconds: float = 5.0,
    setup: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one read-only statement (after `setup`, e.g. loading an extension); columns, rows."""
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        if setup is not None:
            setup(con)
        cursor = con.execute(sql, params or [])
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()


def read_checkpoints(
    path: Path, source: str, *, wait_seconds: float = 30.0
) -> frozenset[tuple[str, date]]:
    """(unit, day) pairs an earlier pass of `source` finished and merged."""
    if not path.exists():
        return frozenset()
    with connect(path, read_only=True, wait_seconds=wait_seconds) as con:
        try:
            rows = con.execute(load_query("warehouse/checkpoints"), [source]).fetchall()
        except duckdb.CatalogException:  # a warehouse from before backfills existed
            return frozenset()
    return frozenset((str(unit), day) for unit, day in rows)
