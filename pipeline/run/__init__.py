"""The one pass: any source -> claim ids -> fetch -> extract + tag (process pool) -> stage -> merge.

Live polling, archive backfills, reprocessing stored captures, re-tagging and imports are all a
`Source` (`pipeline/sources/`) run through `run_source`. This package is the only place that
claims article ids, holds the per-page error handler (`unit.UnitPass.page`) and the "every page
failed" guard (`unit.UnitPass.finish`), stages each unit, merges, then updates the analysis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.analysis import AnalysisUpdate, update_after_merge
from pipeline.config import Settings
from pipeline.feeds import load_feeds
from pipeline.http import Http
from pipeline.models import Feed, RunReport
from pipeline.run.unit import (
    FeedObserver,
    PassContext,
    PassFailed,
    PassResult,
    Progress,
    UnitPass,
    count_event,
    make_pool,
    new_run_id,
)
from pipeline.sources.base import Counted, PassTotals, Source, SourceEnv
from pipeline.sources.live import LiveSource
from pipeline.warehouse import LoadResult, load_staged, read_checkpoints, read_state

log = logging.getLogger(__name__)


async def stage_source(
    settings: Settings,
    source: Source,
    *,
    now: datetime,
    merge: bool,
    pool: Executor | None = None,
    progress: Progress | None = None,
    observe: FeedObserver | None = None,
    redo: bool = False,
    stop: Callable[[], bool] | None = None,
) -> PassResult:
    """Run every unit of `source`: stage each one, and merge it at once when `merge`.

    When `stop()` turns true, the unit in flight drops its unfinished pages, stages and merges
    what it finished, and no further unit starts."""
    state = await asyncio.to_thread(
        read_state, settings.db_path, wait_seconds=settings.lock_wait_seconds
    )
    checkpoints: frozenset[tuple[str, date]] = frozenset()
    if not redo:
        checkpoints = await asyncio.to_thread(
            read_checkpoints, settings.db_path, source.name,
            wait_seconds=settings.lock_wait_seconds,
        )  # fmt: skip
    window = getattr(source, "window", None)
    result = PassResult(totals=PassTotals(source=source.name, window=window))
    own_pool = pool is None
    executor = pool or make_pool(settings.workers)
    config = source.http_config(settings)
    try:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(Http(config)) if config else None
            env = SourceEnv(
                settings=settings, now=now, state=state, checkpoints=checkpoints, http=http
            )
            run = PassContext(
                settings=settings, source=source, env=env, now=now, pool=executor, merge=merge,
                result=result, progress=progress, observe=observe, stop=stop,
            )  # fmt: skip
            async for unit in source.units(env):
                if isinstance(unit, Counted):
                    count_event(result.totals, unit)
                    continue
                if stop is not None and stop():
                    break
                one = UnitPass(run, unit)
                await one.consume()
                one.finish()
                if merge:
                    await asyncio.to_thread(_merge_into, settings, result, now=now)
                if one.stopped:
                    break
    finally:
        if own_pool:
            executor.shutdown(wait=True, cancel_futures=True)
    return result


def _merge_into(settings: Settings, result: PassResult, *, now: datetime) -> None:
    loaded, analysis = merge_staged(settings, now=now)
    result.loaded.extend(loaded)
    result.analysis = analysis or result.analysis
    own = set(result.totals.runs)
    for done in loaded:
        if done.run_id in own:
            result.totals.articles_inserted += done.inserted
            result.totals.articles_updated += done.updated
            for report in result.reports:
                if report.run_id == done.run_id:
                    report.articles_inserted = done.inserted
                    report.articles_updated = done.updated


def merge_staged(
    settings: Settings, *, now: datetime | None = None
) -> tuple[list[LoadResult], AnalysisUpdate | None]:
    """Merge every ready staged run, then bring the analysis up to date."""
    return merge_and_update(
        settings.db_path, settings.staging_dir, now=now, wait_seconds=settings.lock_wait_seconds
    )


def merge_and_update(
    db_path: Path, staging_dir: Path, *, now: datetime | None = None, wait_seconds: float = 30.0
) -> tuple[list[LoadResult], AnalysisUpdate | None]:
    """The merge (the write lock is held for it), then stories and the search index."""
    now = now or datetime.now(UTC)
    loaded = load_staged(db_path, staging_dir, now=now, wait_seconds=wait_seconds)
    if not loaded:
        return loaded, None
    return loaded, update_after_merge(db_path, now=now, wait_seconds=wait_seconds)


def run_source(
    settings: Settings,
    source: Source,
    *,
    now: datetime | None = None,
    merge: bool = True,
    pool: Executor | None = None,
    progress: Progress | None = None,
    observe: FeedObserver | None = None,
    redo: bool = False,
    stop: Callable[[], bool] | None = None,
) -> PassResult:
    """The pass, synchronously: every command and task that ingests anything ends here."""
    return asyncio.run(
        stage_source(
            settings, source, now=now or datetime.now(UTC), merge=merge, pool=pool,
            progress=progress, observe=observe, redo=redo, stop=stop,
        )
    )  # fmt: skip


async def stage_pass(
    settings: Settings,
    *,
    feeds: Sequence[Feed],
    run_id: str,
    now: datetime,
    progress: Progress | None = None,
    pool: Executor | None = None,
    observe: FeedObserver | None = None,
) -> RunReport:
    """Stage one live pass over `feeds` under staging/<run_id>/ without merging it."""
    result = await stage_source(
        settings, LiveSource(feeds, run_id=run_id), now=now, merge=False, pool=pool,
        progress=progress, observe=observe,
    )  # fmt: skip
    return result.report


def run_once(
    settings: Settings,
    *,
    feeds: Sequence[Feed] | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> tuple[RunReport, list[LoadResult]]:
    """One live pass: stage, then merge (with any staged leftovers of earlier passes)."""
    now = now or datetime.now(UTC)
    feeds = list(feeds) if feeds is not None else load_feeds(settings.feeds_path)
    source = LiveSource(feeds, run_id=run_id or new_run_id(now))
    result = run_source(settings, source, now=now, progress=progress)
    return result.report, result.loaded


__all__ = [
    "FeedObserver",
    "PassFailed",
    "PassResult",
    "Progress",
    "make_pool",
    "merge_and_update",
    "merge_staged",
    "new_run_id",
    "run_once",
    "run_source",
    "stage_pass",
    "stage_source",
]
