"""Keep the search index in step with the warehouse: read what changed, index it, commit.

A load reads the articles changed since the index's watermark while it still holds DuckDB
(milliseconds for a load's worth), closes DuckDB, then indexes them: the index work never holds
the warehouse lock. A crash before the index commit leaves the watermark behind, so the next
load reads those articles again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipeline.search.index import IndexDoc, SearchIndex, watermark_of

_SQL = Path(__file__).with_name("sql")
_SIZE = re.compile(r"[0-9]+(\.[0-9]+)? ?[KMGT]i?B")
# Rows per Arrow batch when streaming the whole warehouse into a rebuild.
BATCH_ROWS = 10_000


@cache
def sql(name: str) -> str:
    """One statement of `pipeline/search/sql/`."""
    return (_SQL / f"{name}.sql").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True, kw_only=True)
class Changes:
    """Articles changed since a watermark, read from the warehouse, ready to index."""

    docs: tuple[IndexDoc, ...]
    since: datetime | None
    watermark: datetime | None  # newest updated_at among docs (else `since`)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexUpdate:
    indexed: int
    watermark: datetime | None
    read_s: float
    index_s: float
    rebuilt: bool = False


def _doc(row: dict[str, Any]) -> IndexDoc:
    return IndexDoc(
        article_id=row["article_id"],
        title=row["title"],
        text=row["text"] or "",
        language=row["language"],
        published_at=row["seen_at"],
        conflicts=tuple(row["conflicts"] or ()),
    )


def _rows(con: duckdb.DuckDBPyConnection, since: datetime | None) -> Iterator[dict[str, Any]]:
    reader = con.execute(sql("changed_articles"), {"since": since}).to_arrow_reader(BATCH_ROWS)
    for batch in reader:
        # Column by column: several times faster than pyarrow's row dicts.
        names = batch.schema.names
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for values in zip(*columns, strict=True):
            yield dict(zip(names, values, strict=True))


def read_changes(con: duckdb.DuckDBPyConnection, *, since: datetime | None) -> Changes:
    """Articles with `updated_at` after `since` (None: all), as index documents."""
    docs: list[IndexDoc] = []
    watermark = since
    for row in _rows(con, since):
        docs.append(_doc(row))
        if watermark is None or row["updated_at"] > watermark:
            watermark = row["updated_at"]
    return Changes(docs=tuple(docs), since=since, watermark=watermark)


def pending_changes(
    con: duckdb.DuckDBPyConnection, index_dir: Path, *, max_docs: int = 50_000
) -> Changes | None:
    """What the index at `index_dir` lacks, read while the caller holds DuckDB after a merge.

    None means "rebuild instead": no usable index yet, or more than `max_docs` changed (a
    first import; a rebuild streams them rather than holding them all in memory).
    """
    since = watermark_of(index_dir)
    if since is None:
        return None
    row = con.execute(sql("count_changed"), {"since": since}).fetchone()
    if row is None or row[0] > max_docs:
        return None
    return read_changes(con, since=since)


def update_index(index_dir: Path, changes: Changes, *, lock_wait_s: float = 60.0) -> IndexUpdate:
    """Apply `pending_changes` to the index (after DuckDB was closed: no warehouse lock held)."""
    with SearchIndex.open(index_dir, writable=True, lock_wait_s=lock_wait_s) as index:
        current = index.watermark()
        if current is not None and changes.watermark is not None and current >= changes.watermark:
            # A later load, whose changes include these, updated the index first.
            return IndexUpdate(indexed=0, watermark=current, read_s=0.0, index_s=0.0)
        return apply_changes(index, changes)


def apply_changes(index: SearchIndex, changes: Changes) -> IndexUpdate:
    """Upsert the changed articles and commit with the new watermark (no DuckDB needed)."""
    started = time.perf_counter()
    n = index.upsert(changes.docs)
    index.commit(changes.watermark)
    return IndexUpdate(
        indexed=n, watermark=changes.watermark, read_s=0.0, index_s=time.perf_counter() - started
    )


def catch_up(con: duckdb.DuckDBPyConnection, index: SearchIndex) -> IndexUpdate:
    """Read and index everything changed since the index's watermark (one call, DuckDB open)."""
    started = time.perf_counter()
    changes = read_changes(con, since=index.watermark())
    read_s = time.perf_counter() - started
    update = apply_changes(index, changes)
    return IndexUpdate(
        indexed=update.indexed, watermark=update.watermark, read_s=read_s, index_s=update.index_s
    )


def rebuild(
    con: duckdb.DuckDBPyConnection, index: SearchIndex, *, memory_limit: str | None = "512MB"
) -> IndexUpdate:
    """Re-index every article, streamed from the warehouse, in one commit.

    `memory_limit` caps DuckDB for the scan (restored after): its buffer cache would otherwise
    keep the whole warehouse it read (peak 2.0 GB at 1M articles; 825 MB with 512MB).
    """
    started = time.perf_counter()
    previous = con.execute("SELECT current_setting('memory_limit')").fetchone()
    if memory_limit is not None:
        # SET takes no parameters: the value is checked to be a size before it is spliced in.
        if not _SIZE.fullmatch(memory_limit):
            raise ValueError(f"memory_limit {memory_limit!r} is not a size like '512MB'")
        con.execute(f"SET memory_limit = '{memory_limit}'")
    try:
        # The watermark must not be newer than what was read: take it before the scan.
        row = con.execute(sql("latest_update")).fetchone()
        watermark = row[0] if row else None
        n = index.rebuild((_doc(r) for r in _rows(con, None)), watermark=watermark)
    finally:
        if memory_limit is not None and previous is not None:
            con.execute(f"SET memory_limit = '{previous[0]}'")
    return IndexUpdate(
        indexed=n,
        watermark=watermark,
        read_s=0.0,
        index_s=time.perf_counter() - started,
        rebuilt=True,
    )


def is_current(con: duckdb.DuckDBPyConnection, index: SearchIndex) -> bool:
    """True when the index holds the warehouse's newest change (else a load is catching up)."""
    row = con.execute(sql("latest_update")).fetchone()
    latest = row[0] if row else None
    if latest is None:
        return True
    mark = index.watermark()
    return mark is not None and mark >= latest
