"""Sitemap source: each outlet's sitemaps, filtered to the window, then the pages themselves.

Sitemaps come from robots.txt `Sitemap:` lines and `/sitemap.xml`; indexes are followed (child
sitemaps whose `lastmod` predates the window are skipped), Google News sitemaps give
`news:publication_date` and `news:title`, plain ones `lastmod`. Entries without any date are
counted and skipped. Pages are fetched from the outlet through the ordinary HTTP layer (its
robots.txt, per-host delay and address checks).
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from io import BytesIO
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped]
from protego import Protego

from pipeline.backfill.core import (
    Context,
    UnitRun,
    day_of,
    finish_unit,
    outlet_name,
    run_id_for,
)
from pipeline.extract import parse_published
from pipeline.http import Http
from pipeline.models import Feed, FeedItem
from pipeline.urls import UrlError, article_id, canonical_url

log = logging.getLogger(__name__)

MAX_SITEMAPS = 200  # per outlet, indexes included
MAX_DEPTH = 4
_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True, kw_only=True)
class SitemapEntry:
    loc: str
    published_at: datetime | None  # news:publication_date
    lastmod: datetime | None
    title: str | None

    @property
    def when(self) -> datetime | None:
        return self.published_at or self.lastmod


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedSitemap:
    entries: tuple[SitemapEntry, ...] = ()
    children: tuple[tuple[str, datetime | None], ...] = ()  # (sitemap url, lastmod) of an index
    error: str | None = None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _gunzip(body: bytes, limit: int) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    out = zlib.decompressobj(wbits=31).decompress(body, limit + 1)
    if len(out) > limit:
        raise ValueError(f"sitemap larger than {limit} bytes once decompressed")
    return out


def parse_sitemap(body: bytes, base_url: str, *, limit: int = 50 * 1024 * 1024) -> ParsedSitemap:
    """Parse a urlset or sitemapindex (gzip or plain); never raises on bad input."""
    try:
        data = _gunzip(body, limit)
    except (ValueError, zlib.error, gzip.BadGzipFile) as exc:
        return ParsedSitemap(error=f"bad gzip: {exc}")
    entries: list[SitemapEntry] = []
    children: list[tuple[str, datetime | None]] = []
    try:
        for _, elem in etree.iterparse(
            BytesIO(data), events=("end",), resolve_entities=False, no_network=True,
            huge_tree=False, recover=True,
        ):  # fmt: skip
            name = _local(elem.tag)
            if name not in ("url", "sitemap"):
                continue
            fields: dict[str, str] = {}
            for child in elem.iter():
                key = _local(child.tag)
                if key in ("loc", "lastmod", "publication_date", "title") and child.text:
                    fields.setdefault(key, child.text.strip())
            loc = fields.get("loc")
            if loc:
                loc = urljoin(base_url, loc)
                lastmod = parse_published(fields.get("lastmod"))
                if name == "sitemap":
                    children.append((loc, lastmod))
                else:
                    entries.append(
                        SitemapEntry(
                            loc=loc,
                            published_at=parse_published(fields.get("publication_date")),
                            lastmod=lastmod,
                            title=fields.get("title"),
                        )
                    )
            elem.clear()  # keep memory flat on large sitemaps
    except etree.XMLSyntaxError as exc:
        if not entries and not children:
            return ParsedSitemap(error=f"not a sitemap: {exc}")
    return ParsedSitemap(entries=tuple(entries), children=tuple(children))


def site_origin(feed: Feed) -> str:
    parts = urlsplit(feed.url)
    return f"{parts.scheme}://{parts.netloc}"


async def discover(ctx: Context, http: Http, origin: str) -> tuple[list[SitemapEntry], int, int]:
    """Every dated entry of an origin's sitemaps in the window; also (sitemaps read, errors)."""
    queue: list[tuple[str, int]] = []
    robots = await http.get(f"{origin}/robots.txt", accept="text/plain", check_robots=False)
    if robots.ok and robots.body:
        text = robots.body.decode("utf-8", errors="replace")
        queue.extend((urljoin(origin + "/", u.strip()), 0) for u in Protego.parse(text).sitemaps)
    queue.append((f"{origin}/sitemap.xml", 0))
    seen: set[str] = set()
    entries: dict[str, SitemapEntry] = {}
    read = errors = 0
    while queue and len(seen) < MAX_SITEMAPS:
        url, depth = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        got = await http.get(url, accept=_ACCEPT)
        if not got.ok:
            if got.status != 404 or depth > 0:
                errors += 1
            ctx.report.skip("sitemap_unavailable")
            continue
        parsed = parse_sitemap(got.body, got.final_url)
        if parsed.error:
            errors += 1
            ctx.report.skip("sitemap_unparseable")
            log.warning("sitemap %s: %s", url, parsed.error)
            continue
        read += 1
        for child, lastmod in parsed.children:
            if depth + 1 > MAX_DEPTH:
                ctx.report.skip("sitemap_too_deep")
            elif lastmod is not None and lastmod < ctx.window.first_instant:
                ctx.report.skip("sitemap_older_than_window")
            else:
                queue.append((child, depth + 1))
        for entry in parsed.entries:
            when = entry.when
            if when is None:
                ctx.report.skip("sitemap_entry_undated")
            elif not ctx.window.contains(when):
                ctx.report.skip("outside_window")
            else:
                entries.setdefault(entry.loc, entry)
    return list(entries.values()), read, errors


async def backfill_sitemaps(ctx: Context, feeds: Sequence[Feed], domains: Sequence[str]) -> None:
    """Discover each outlet's entries once, then stage them day by day."""
    outlets: dict[str, Feed] = {}
    for feed in feeds:
        outlets.setdefault(site_origin(feed), feed)
    for domain in domains:
        host = domain.strip().lower()
        if host:
            outlets.setdefault(f"https://{host}", Feed(url=f"https://{host}/", outlet=host))
    async with Http(ctx.settings.http) as http:
        found: dict[date, list[tuple[str, Feed, SitemapEntry]]] = {}
        sitemap_stats: dict[str, tuple[int, int]] = {}
        for origin, feed in outlets.items():
            if all(ctx.done(origin, d) for d in ctx.window.days()):
                ctx.report.units_resumed += len(ctx.window.days())
                continue
            entries, read, errors = await discover(ctx, http, origin)
            sitemap_stats[origin] = (read, errors)
            ctx.report.errors += errors
            for entry in entries:
                when = entry.when
                assert when is not None  # discover keeps dated entries only
                found.setdefault(day_of(when), []).append((origin, feed, entry))
        for day in ctx.window.days():
            await _day(ctx, http, day, found.get(day, []), outlets, sitemap_stats)


async def _day(
    ctx: Context,
    http: Http,
    day: date,
    entries: list[tuple[str, Feed, SitemapEntry]],
    outlets: dict[str, Feed],
    stats: dict[str, tuple[int, int]],
) -> None:
    origins = [o for o in stats if not ctx.done(o, day)]
    ctx.report.units_resumed += len([o for o in stats if ctx.done(o, day)])
    if not origins:
        return
    unit = UnitRun(ctx, run_id_for("sitemap", day, "|".join(sorted(origins))))
    todo: list[tuple[FeedItem, SitemapEntry]] = []
    per_outlet: dict[str, int] = {}
    for origin, feed, entry in entries:
        if origin not in origins:
            continue
        try:
            canonical = canonical_url(entry.loc)
        except UrlError:
            ctx.report.skip("sitemap_bad_url")
            continue
        outlet = outlet_name(feed)
        per_outlet[outlet] = per_outlet.get(outlet, 0) + 1
        item = FeedItem(
            article_id=article_id(canonical),
            url=entry.loc,
            canonical_url=canonical,
            feed_url=feed.url,
            outlet=feed.outlet or outlet,
            title=entry.title,
            summary=None,
            author=None,
            published_at=entry.published_at,
            language=feed.language,
        )
        ctx.report.items_found += 1
        ctx.report.per_day[str(day)] = ctx.report.per_day.get(str(day), 0) + 1
        if unit.found(item, day=day, outlet=outlet):
            todo.append((item, entry))
    for origin in origins:
        outlet = outlet_name(outlets[origin])
        read, errors = stats[origin]
        unit.staged.add_coverage_day(
            day=day, outlet=outlet, source="sitemap", captures=per_outlet.get(outlet, 0),
            errors=errors,
        )  # fmt: skip
        ctx.report.captures += per_outlet.get(outlet, 0)
        if ctx.can_checkpoint(day) and read > 0 and errors == 0:
            unit.staged.add_checkpoint(source="sitemap", unit=origin, day=day)
    if ctx.progress is not None:
        ctx.progress("day", f"{day} sitemap", len(todo))
    jobs = [partial(_page, unit, http, item, entry) for item, entry in todo]
    await finish_unit(ctx, unit, jobs, label=f"{day} sitemap")


async def _page(unit: UnitRun, http: Http, item: FeedItem, entry: SitemapEntry) -> None:
    try:
        got = await http.get(item.url, accept=_PAGE_ACCEPT)
        unit.run.capture(got, "page")
        error = None if got.ok else (got.error or f"http {got.status}")
        await unit.run.assemble(
            item,
            body=got.body if error is None else None,
            fetched_at=got.fetched_at,
            final_url=got.final_url,
            status=got.status,
            error=error,
            published_fallback=entry.when,
        )
    except Exception:  # one bad page must not sink the day; it is logged and counted
        log.exception("sitemap page %s: unexpected error", item.url)
        unit.run.report.skip("unexpected_error")
