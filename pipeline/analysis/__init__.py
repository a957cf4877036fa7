"""Analysis layer: stories and duplicates, the search index, report, export.

`update_after_merge` runs after every merge (live run, backfill, reprocess, retag and import all
merge through `pipeline.run.merge_and_update`), outside the merge transactions. Each step works
from what the warehouse holds, not from what the load said it changed, so a step interrupted by
a crash is caught up by the next load: stories from unassigned articles, the search index from
its watermark (`articles.updated_at`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from pipeline.search import Changes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisUpdate:
    signatures: int
    assigned: int
    stories_touched: int
    duplicates: int
    indexed: int = 0  # articles (re)indexed for search
    index_rebuilt: bool = False
    elapsed_s: float = 0.0

    def summary(self) -> str:
        rebuilt = " (index rebuilt)" if self.index_rebuilt else ""
        return (
            f"{self.assigned} articles assigned to stories ({self.stories_touched} stories, "
            f"{self.duplicates} duplicates), {self.indexed} indexed for search{rebuilt}, "
            f"{self.elapsed_s:.2f}s"
        )


def after_load(con: duckdb.DuckDBPyConnection, *, now: datetime) -> AnalysisUpdate:
    """Bring duplicate signatures and stories up to date with the articles table."""
    from pipeline.analysis.stories import assign_stories
    from pipeline.dedup import update_signatures

    started = time.perf_counter()
    n_sigs = update_signatures(con)
    stories = assign_stories(con, now=now)
    return AnalysisUpdate(
        signatures=n_sigs,
        assigned=stories.assigned,
        stories_touched=stories.stories_touched,
        duplicates=stories.duplicates,
        elapsed_s=round(time.perf_counter() - started, 3),
    )


def update_after_merge(db_path: Path, *, now: datetime, wait_seconds: float) -> AnalysisUpdate:
    """Stories (holding DuckDB), then the search index (DuckDB closed: no lock held)."""
    from pipeline.search import index_path, pending_changes
    from pipeline.warehouse import connect, crash_point

    started = time.perf_counter()
    index_dir = index_path(db_path)
    with connect(db_path, wait_seconds=wait_seconds) as con:
        update = after_load(con, now=now)
        changes = pending_changes(con, index_dir)
    crash_point("indexing")  # tests: killed between the stories and the index update
    indexed, rebuilt = refresh_search(db_path, changes, wait_seconds=wait_seconds)
    update = replace(
        update,
        indexed=indexed,
        index_rebuilt=rebuilt,
        elapsed_s=round(time.perf_counter() - started, 3),
    )
    log.info("analysis: %s", update.summary())
    return update


def refresh_search(
    db_path: Path, changes: Changes | None, *, wait_seconds: float
) -> tuple[int, bool]:
    """Apply pending changes to the index, or rebuild it (none yet, or too much changed)."""
    from pipeline.search import SearchIndex, index_path, rebuild, update_index
    from pipeline.warehouse import connect

    index_dir = index_path(db_path)
    if changes is not None:
        return update_index(index_dir, changes).indexed, False
    with (
        connect(db_path, read_only=True, wait_seconds=wait_seconds) as con,
        SearchIndex.open(index_dir, writable=True) as index,
    ):
        return rebuild(con, index).indexed, True
