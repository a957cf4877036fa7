"""Backfill past days from archives: the Wayback Machine, WARC files, sitemaps.

`run_backfill` picks the archive source (`pipeline/sources/`) and runs it through the one pass:
one staged run per unit of work (a day of feed captures, a WARC file, a day of sitemap entries),
each merged (unless the caller's loader merges later), with coverage per day, outlet and source
in `coverage_days` and a checkpoint per finished unit, so a killed backfill resumes where it
stopped and a rerun adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.run import Progress, run_source
from pipeline.sources.base import PassTotals, Source, SourceError, Window

ArchiveName = Literal["wayback", "warc", "sitemap"]
ARCHIVES: tuple[ArchiveName, ...] = ("wayback", "warc", "sitemap")

__all__ = ["ARCHIVES", "ArchiveName", "SourceError", "Window", "archive_source", "run_backfill"]


def archive_source(
    name: str,
    *,
    window: Window,
    feeds: Sequence[Feed] = (),
    warc: Sequence[Path] = (),
    domains: Sequence[str] = (),
) -> Source:
    """The archive source `name` for `window`; bad input raises `SourceError`."""
    if name not in ARCHIVES:
        raise SourceError(f"--source {name!r}: expected one of {', '.join(ARCHIVES)}")
    if name == "warc":
        from pipeline.sources.warc import WarcSource

        if not warc:
            raise SourceError("--source warc needs --warc PATH_OR_GLOB")
        return WarcSource(warc, window=window, feeds=feeds, domains=domains)
    if name == "wayback":
        from pipeline.sources.wayback import WaybackSource

        if not feeds:
            raise SourceError("--source wayback needs feeds (the feed list is empty)")
        return WaybackSource(feeds, window=window)
    from pipeline.sources.sitemap import SitemapSource

    if not feeds and not domains:
        raise SourceError("--source sitemap needs feeds or --domains")
    return SitemapSource(window=window, feeds=feeds, domains=domains)


def run_backfill(
    settings: Settings,
    *,
    window: Window,
    source: str,
    feeds: Sequence[Feed] = (),
    warc: Sequence[Path] = (),
    domains: Sequence[str] = (),
    now: datetime | None = None,
    merge: bool = True,
    redo: bool = False,
    pool: Executor | None = None,
    progress: Progress | None = None,
) -> PassTotals:
    """Fill `window` from the archive `source`; returns the counts."""
    archive = archive_source(source, window=window, feeds=feeds, warc=warc, domains=domains)
    result = run_source(
        settings, archive, now=now or datetime.now(UTC), merge=merge, pool=pool,
        progress=progress, redo=redo,
    )  # fmt: skip
    return result.totals
