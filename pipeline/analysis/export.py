"""Export the warehouse as Parquet, hive-partitioned by day, for other tools."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.queries import load_query

# Each table, exported with the day it is filed under (UTC): an article's publication day (else
# first seen), a story's first day, a fetch's day. Queries in sql/queries/export/<table>.sql.
EXPORTS = ("articles", "article_tags", "stories", "story_articles", "feed_fetches")


class ExportError(RuntimeError):
    """The export cannot be written; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    table: str
    rows: int
    path: Path


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path) -> list[ExportResult]:
    """Write `out/<table>/day=YYYY-MM-DD/*.parquet` for every table; replaces earlier exports."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for table in EXPORTS:
        select = load_query(f"export/{table}").strip().rstrip(";")
        target = out / table
        # Written beside the old export, then swapped in: a failed export leaves the old one.
        partial = out / f".{table}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        # Built at run time: COPY ... TO takes the target path as a literal, not a parameter.
        row = con.execute(
            f"COPY ({select}) TO '{_quote(partial)}'"
            " (FORMAT parquet, PARTITION_BY (day), COMPRESSION zstd)"
        ).fetchone()
        n = int(row[0]) if row else 0  # COPY returns the number of rows written
        if not partial.exists():  # an empty table writes nothing: keep an empty folder
            partial.mkdir()
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        results.append(ExportResult(table=table, rows=n, path=target))
    return results


def _quote(path: Path) -> str:
    # COPY ... TO takes a literal, not a parameter; paths are ours, but quote them anyway.
    return str(path).replace("'", "''")
