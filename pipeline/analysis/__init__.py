"""Analysis layer: stories and duplicates, full-text search, report, export.

`after_load` runs after every load (live run, backfill, reprocess, retag all merge through
`warehouse.load_staged`), outside the merge transactions. Each step works from what the
warehouse holds, not from what the load said it changed, so a step interrupted by a crash is
caught up by the next load.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisUpdate:
    signatures: int
    assigned: int
    stories_touched: int
    duplicates: int
    fts_rebuilt: bool
    elapsed_s: float


def after_load(con: duckdb.DuckDBPyConnection, *, now: datetime) -> AnalysisUpdate:
    """Bring signatures, stories and the search index up to date with the articles table."""
    from pipeline.analysis.search import refresh_index
    from pipeline.analysis.stories import assign_stories, update_signatures

    started = time.perf_counter()
    n_sigs = update_signatures(con)
    stories = assign_stories(con, now=now)
    rebuilt = refresh_index(con, now=now)
    update = AnalysisUpdate(
        signatures=n_sigs,
        assigned=stories.assigned,
        stories_touched=stories.stories_touched,
        duplicates=stories.duplicates,
        fts_rebuilt=rebuilt,
        elapsed_s=round(time.perf_counter() - started, 3),
    )
    log.info("analysis: %s", update)
    return update
