"""Export the warehouse as Parquet, hive-partitioned by day, for other tools."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Each table with the day it is filed under (UTC): an article's publication day (else first
# seen), a story's first day, a fetch's day.
EXPORTS: dict[str, str] = {
    "articles": "SELECT a.*, d.day FROM articles AS a JOIN article_days AS d USING (article_id)",
    "article_tags": (
        "SELECT t.*, d.day FROM article_tags AS t JOIN article_days AS d USING (article_id)"
    ),
    "stories": ("SELECT s.*, CAST(timezone('UTC', s.first_seen) AS DATE) AS day FROM stories AS s"),
    "story_articles": (
        "SELECT sa.*, d.day FROM story_articles AS sa JOIN article_days AS d USING (article_id)"
    ),
    "feed_fetches": (
        "SELECT f.*, CAST(timezone('UTC', f.fetched_at) AS DATE) AS day FROM feed_fetches AS f"
    ),
}


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
    for table, select in EXPORTS.items():
        target = out / table
        # Written beside the old export, then swapped in: a failed export leaves the old one.
        partial = out / f".{table}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        con.execute(
            f"COPY ({select}) TO '{_quote(partial)}'"
            " (FORMAT parquet, PARTITION_BY (day), COMPRESSION zstd)"
        )
        row = con.execute(f"SELECT count(*) FROM ({select})").fetchone()
        n = int(row[0]) if row else 0
        if not partial.exists():  # an empty table writes nothing: keep an empty folder
            partial.mkdir()
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        results.append(ExportResult(table=table, rows=n, path=target))
    return results


def _quote(path: Path) -> str:
    # COPY ... TO takes a literal, not a parameter; paths are ours, but quote them anyway.
    return str(path).replace("'", "''")
