"""Backfill past days from archives: the Wayback Machine, WARC files, sitemaps.

`run_backfill` stages one run per unit of work (a day of feed captures, a WARC file, a day of
sitemap entries), merges it (unless the caller's loader merges later) and records coverage per
day, outlet and source in `coverage_days`, plus a checkpoint per finished unit, so a killed
backfill resumes where it stopped and a rerun adds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path

from pipeline.backfill.core import (
    SOURCES,
    BackfillError,
    BackfillReport,
    Context,
    DayProgress,
    Source,
    Window,
    read_checkpoints,
)
from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.warehouse import read_state

__all__ = [
    "SOURCES",
    "BackfillError",
    "BackfillReport",
    "Source",
    "Window",
    "run_backfill",
]


def run_backfill(
    settings: Settings,
    *,
    window: Window,
    source: Source,
    feeds: Sequence[Feed] = (),
    warc: Sequence[Path] = (),
    domains: Sequence[str] = (),
    now: datetime | None = None,
    merge: bool = True,
    redo: bool = False,
    pool: Executor | None = None,
    progress: DayProgress | None = None,
) -> BackfillReport:
    """Fill `window` from `source`; returns the counts. Bad input raises `BackfillError`."""
    from pipeline.run import make_pool

    if source not in SOURCES:
        raise BackfillError(f"--source {source!r}: expected one of {', '.join(SOURCES)}")
    if source == "warc" and not warc:
        raise BackfillError("--source warc needs --warc PATH_OR_GLOB")
    if source == "wayback" and not feeds:
        raise BackfillError("--source wayback needs feeds (the feed list is empty)")
    if source == "sitemap" and not feeds and not domains:
        raise BackfillError("--source sitemap needs feeds or --domains")
    now = now or datetime.now(UTC)
    own_pool = pool is None
    executor = pool or make_pool(settings.workers)
    report = BackfillReport(source=source, start=window.start, end=window.end)
    ctx = Context(
        settings=settings,
        source=source,
        window=window,
        now=now,
        pool=executor,
        state=read_state(settings.db_path, wait_seconds=settings.lock_wait_seconds),
        report=report,
        checkpoints=frozenset() if redo else read_checkpoints(settings, source),
        merge=merge,
        progress=progress,
    )
    try:
        asyncio.run(_run(ctx, feeds=feeds, warc=warc, domains=domains))
    finally:
        if own_pool:
            executor.shutdown(wait=True, cancel_futures=True)
    return report


async def _run(
    ctx: Context, *, feeds: Sequence[Feed], warc: Sequence[Path], domains: Sequence[str]
) -> None:
    if ctx.source == "wayback":
        from pipeline.backfill.wayback import backfill_wayback

        await backfill_wayback(ctx, feeds)
    elif ctx.source == "warc":
        from pipeline.backfill.warc import backfill_warc

        await backfill_warc(ctx, warc, feeds, domains)
    else:
        from pipeline.backfill.sitemap import backfill_sitemaps

        await backfill_sitemaps(ctx, feeds, domains)
