"""WARC source: stream WARC/ARC files (gzip or plain; CC-NEWS or newsdesk's own raw captures).

Records are read one at a time and at most `concurrency` pages wait for extraction, so memory
stays flat however large the file. Kept: HTML responses (status 200) inside the window by
WARC-Date, or by the page's own published date when the crawl was later, and, when a feed list
or `--domains` is given, from those outlets only. A truncated or unreadable record is counted
and skipped; a file that ends in one keeps what came before.
"""

from __future__ import annotations

import glob
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from pathlib import Path

from pipeline.archive import ArchiveRecord as Record
from pipeline.archive import iter_records
from pipeline.config import Settings
from pipeline.extract import parse_published
from pipeline.models import Feed, FeedItem
from pipeline.sources.base import (
    Checkpoint,
    Counted,
    CoveredDay,
    Event,
    Found,
    Page,
    SourceEnv,
    SourceError,
    Unit,
    Window,
    day_of,
)
from pipeline.sources.outlets import domain_matches, feed_domains, run_id_for, site_host
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
            raise SourceError(f"--warc {pattern}: no such file")
        if not found:
            raise SourceError(f"--warc {pattern}: matches no WARC/ARC file")
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


class WarcSource:
    """One unit per file; a file finished for this window is not read again."""

    name = "warc"
    revisit = False

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        window: Window,
        feeds: Sequence[Feed] = (),
        domains: Sequence[str] = (),
    ) -> None:
        self.paths = expand_paths([str(p) for p in paths])  # folders, globs; checked now
        self.window = window
        self.by_domain = feed_domains(feeds)
        self.wanted = [d.lower().removeprefix("www.") for d in domains] or list(self.by_domain)

    def http_config(self, settings: Settings) -> None:
        return None

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        span = f"{self.window.start}..{self.window.end}"
        for path in self.paths:
            stat = path.stat()
            unit_key = f"{path.resolve()}|{stat.st_size}|{span}"
            if env.done(unit_key, self.window.start):
                yield Counted(name="units_resumed", skip=False)
                continue
            yield Unit(
                run_id=run_id_for("warc", None, unit_key),
                label=f"{path.name} warc {span}",
                events=self._file(env, path, unit_key),
            )

    async def _file(self, env: SourceEnv, path: Path, unit_key: str) -> AsyncIterator[Event]:
        captures: dict[tuple[date, str], int] = {}
        errors = 0
        max_body = env.settings.http.max_body_bytes
        for record in iter_records(path, max_body=max_body):
            if record.problem is not None:
                log.warning("%s: %s %s: skipped", path, record.url or "record", record.problem)
                yield Counted(name="warc_" + record.problem.split(":")[0].replace(" ", "_"))
                errors += 1
                continue
            if record.status != 200 or not _is_html(record) or record.body is None:
                yield Counted(name="warc_not_html_200")
                continue
            host = site_host(record.url)
            domain = domain_matches(host, self.wanted) if self.wanted else host
            if domain is None:
                yield Counted(name="warc_other_outlet")
                continue
            when = record.warc_date
            if not self.window.contains(when):
                dated = page_date(record.body)
                if dated is None or not self.window.contains(dated):
                    yield Counted(name="outside_window")
                    continue
                when = dated
            try:
                canonical = canonical_url(record.url)
            except UrlError:
                yield Counted(name="warc_bad_url")
                continue
            feed = self.by_domain.get(domain)
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
            page = Page(
                body=record.body,
                fetched_at=record.warc_date,
                final_url=record.url,
                status=record.status,
            )
            yield Found(item=item, page=page, published_fallback=when, coverage=(day, outlet))
        for (day, outlet), n in sorted(captures.items()):
            yield CoveredDay(day=day, outlet=outlet, captures=n, errors=0)
        # Damaged records belong to no day or outlet: reported only.
        yield Counted(name="errors", n=errors, skip=False)
        yield Checkpoint(unit=unit_key, day=self.window.start)
