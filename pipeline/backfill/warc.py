"""WARC source: stream WARC/ARC files (gzip or plain; CC-NEWS or newsdesk's own raw captures).

Records are read one at a time and at most `concurrency` pages wait for extraction, so memory
stays flat however large the file. Kept: HTML responses (status 200) inside the window by
WARC-Date, or by the page's own published date when the crawl was later, and, when a feed list
or `--domains` is given, from those outlets only. A truncated or unreadable record is counted
and skipped; a file that ends in one keeps what came before.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from pipeline.archive import ArchiveRecord as Record
from pipeline.archive import iter_records
from pipeline.backfill.core import (
    BackfillError,
    Context,
    UnitRun,
    day_of,
    domain_matches,
    feed_domains,
    run_id_for,
    site_host,
)
from pipeline.extract import parse_published
from pipeline.models import Feed, FeedItem
from pipeline.urls import UrlError, article_id, canonical_url

log = logging.getLogger(__name__)

_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
_PUBLISHED = re.compile(
    rb"""(?:article:published_time|datePublished|pubdate|publish[-_]?date|dc\.date)["']?\s*"""
    rb"""(?:content|:)\s*=?\s*["']([0-9]{4}-[0-9]{2}-[0-9]{2}[^"'<>]{0,30})["']""",
    re.I,
)


def expand_paths(patterns: Sequence[str]) -> list[Path]:
    """Files named by paths, folders or globs, in name order; a pattern matching nothing fails."""
    out: list[Path] = []
    for pattern in patterns:
        path = Path(pattern).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
        elif any(ch in pattern for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(str(path), recursive=True))  # noqa: PTH207
            found = [p for p in found if p.is_file()]
        elif path.is_file():
            found = [path]
        else:
            raise BackfillError(f"--warc {pattern}: no such file")
        if not found:
            raise BackfillError(f"--warc {pattern}: matches no WARC/ARC file")
        out.extend(found)
    return list(dict.fromkeys(out))


def page_date(body: bytes) -> datetime | None:
    """A cheap look at the page's own published date (meta tags, JSON-LD) in its head."""
    match = _PUBLISHED.search(body[:200_000])
    if not match:
        return None
    return parse_published(match.group(1).decode("ascii", errors="ignore"))


def _is_html(record: Record) -> bool:
    if record.kind in ("feed", "robots"):
        return False
    if "html" in record.content_type:
        return True
    head = (record.body or b"")[:512].lstrip().lower()
    return not record.content_type and head.startswith((b"<!doctype html", b"<html"))


async def backfill_warc(
    ctx: Context, paths: Sequence[Path], feeds: Sequence[Feed], domains: Sequence[str]
) -> None:
    """One staged run per file; a file finished for this window is not read again."""
    paths = expand_paths([str(p) for p in paths])  # folders (newsdesk's raw dir) and globs
    by_domain = feed_domains(feeds)
    wanted = [d.lower().removeprefix("www.") for d in domains] or list(by_domain)
    for path in paths:
        stat = path.stat()
        unit_key = f"{path.resolve()}|{stat.st_size}|{ctx.window.start}..{ctx.window.end}"
        if ctx.done(unit_key, ctx.window.start):
            ctx.report.units_resumed += 1
            continue
        await _one_file(ctx, path, unit_key, wanted, by_domain)


async def _one_file(
    ctx: Context, path: Path, unit_key: str, wanted: list[str], by_domain: dict[str, Feed]
) -> None:
    unit = UnitRun(ctx, run_id_for("warc", None, unit_key))
    report = ctx.report
    slots = asyncio.Semaphore(max(1, ctx.settings.concurrency))
    tasks: set[asyncio.Task[None]] = set()
    captures: dict[tuple[date, str], int] = {}
    errors = 0
    if ctx.progress is not None:
        ctx.progress("day", f"{path.name} warc {ctx.window.start}..{ctx.window.end}", 0)
    try:
        for record in iter_records(path, max_body=ctx.settings.http.max_body_bytes):
            if record.problem is not None:
                log.warning("%s: %s %s: skipped", path, record.url or "record", record.problem)
                report.skip("warc_" + record.problem.split(":")[0].replace(" ", "_"))
                errors += 1
                continue
            if record.status != 200 or not _is_html(record) or record.body is None:
                report.skip("warc_not_html_200")
                continue
            host = site_host(record.url)
            domain = domain_matches(host, wanted) if wanted else host
            if domain is None:
                report.skip("warc_other_outlet")
                continue
            when = record.warc_date
            if not ctx.window.contains(when):
                dated = page_date(record.body)
                if dated is None or not ctx.window.contains(dated):
                    report.skip("outside_window")
                    continue
                when = dated
            try:
                canonical = canonical_url(record.url)
            except UrlError:
                report.skip("warc_bad_url")
                continue
            feed = by_domain.get(domain)
            outlet = (feed.outlet if feed else None) or domain
            day = day_of(when)
            captures[(day, outlet)] = captures.get((day, outlet), 0) + 1
            item = FeedItem(
                article_id=article_id(canonical),
                url=record.url,
                canonical_url=canonical,
                feed_url=feed.url if feed else f"https://{host}/",
                outlet=outlet,
                title=None,
                summary=None,
                author=None,
                published_at=None,
                language=feed.language if feed else None,
            )
            report.items_found += 1
            report.captures += 1
            report.per_day[str(day)] = report.per_day.get(str(day), 0) + 1
            if not unit.found(item, day=day, outlet=outlet):
                continue
            await slots.acquire()
            task = asyncio.create_task(_page(unit, item, record, when, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    except BaseException:
        unit.abandon()
        raise
    for (day, outlet), n in sorted(captures.items()):
        unit.staged.add_coverage_day(day=day, outlet=outlet, source="warc", captures=n, errors=0)
    report.errors += errors  # damaged records belong to no day or outlet: reported only
    unit.staged.add_checkpoint(source="warc", unit=unit_key, day=ctx.window.start)
    report.units_done += 1
    await asyncio.to_thread(unit.finish)
    if ctx.progress is not None:
        ctx.progress("done", path.name, 0)


async def _page(
    unit: UnitRun, item: FeedItem, record: Record, when: datetime, slots: asyncio.Semaphore
) -> None:
    try:
        await unit.run.assemble(
            item,
            body=record.body,
            fetched_at=record.warc_date,
            final_url=record.url,
            status=record.status,
            error=None,
            published_fallback=when,
        )
    except Exception:  # one bad page must not sink the file; it is logged and counted
        log.exception("warc page %s: unexpected error", item.url)
        unit.run.report.skip("unexpected_error")
    finally:
        slots.release()
