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
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped]
from protego import Protego

from pipeline.config import HttpConfig, Settings
from pipeline.extract import parse_published
from pipeline.http import Http
from pipeline.models import Feed, FeedItem
from pipeline.sources.base import (
    Checkpoint,
    Counted,
    CoveredDay,
    Event,
    Found,
    SourceEnv,
    Unit,
    Window,
    day_of,
    page_fetch,
)
from pipeline.sources.outlets import outlet_name, run_id_for
from pipeline.urls import UrlError, article_id, canonical_url

log = logging.getLogger(__name__)

MAX_SITEMAPS = 200  # per outlet, indexes included
MAX_DEPTH = 4
_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"


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


Discovered = tuple[str, Feed, "SitemapEntry"]


class SitemapSource:
    """Each outlet's sitemaps read once; then one unit per day of the entries dated that day."""

    name = "sitemap"
    revisit = False

    def __init__(
        self, *, window: Window, feeds: Sequence[Feed] = (), domains: Sequence[str] = ()
    ) -> None:
        self.window = window
        self.outlets: dict[str, Feed] = {}
        for feed in feeds:
            self.outlets.setdefault(site_origin(feed), feed)
        for domain in domains:
            host = domain.strip().lower()
            if host:
                self.outlets.setdefault(
                    f"https://{host}", Feed(url=f"https://{host}/", outlet=host)
                )

    def http_config(self, settings: Settings) -> HttpConfig:
        return settings.http

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        http = env.require_http()
        days = self.window.days()
        found: dict[date, list[Discovered]] = {}
        stats: dict[str, tuple[int, int]] = {}
        for origin, feed in self.outlets.items():
            if all(env.done(origin, d) for d in days):
                yield Counted(name="units_resumed", n=len(days), skip=False)
                continue
            entries: list[SitemapEntry] = []
            read = errors = 0
            async for event in self._discover(http, origin, entries):
                if isinstance(event, Counted):
                    yield event
                else:
                    read, errors = event
            stats[origin] = (read, errors)
            yield Counted(name="errors", n=errors, skip=False)
            for entry in entries:
                when = entry.when
                assert when is not None  # discovery keeps dated entries only
                found.setdefault(day_of(when), []).append((origin, feed, entry))
        for day in days:
            origins = [o for o in stats if not env.done(o, day)]
            if len(origins) < len(stats):
                yield Counted(name="units_resumed", n=len(stats) - len(origins), skip=False)
            if origins:
                yield Unit(
                    run_id=run_id_for("sitemap", day, "|".join(sorted(origins))),
                    label=f"{day} sitemap",
                    events=self._day(env, day, found.get(day, []), origins, stats),
                )

    async def _discover(
        self, http: Http, origin: str, entries: list[SitemapEntry]
    ) -> AsyncIterator[Counted | tuple[int, int]]:
        """Every dated entry of an origin's sitemaps in the window; last, (read, errors)."""
        queue: list[tuple[str, int]] = []
        robots = await http.get(f"{origin}/robots.txt", accept="text/plain", check_robots=False)
        if robots.ok and robots.body:
            text = robots.body.decode("utf-8", errors="replace")
            queue.extend(
                (urljoin(origin + "/", u.strip()), 0) for u in Protego.parse(text).sitemaps
            )
        queue.append((f"{origin}/sitemap.xml", 0))
        seen: set[str] = set()
        kept: dict[str, SitemapEntry] = {}
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
                yield Counted(name="sitemap_unavailable")
                continue
            parsed = parse_sitemap(got.body, got.final_url)
            if parsed.error:
                errors += 1
                yield Counted(name="sitemap_unparseable")
                log.warning("sitemap %s: %s", url, parsed.error)
                continue
            read += 1
            for child, lastmod in parsed.children:
                if depth + 1 > MAX_DEPTH:
                    yield Counted(name="sitemap_too_deep")
                elif lastmod is not None and lastmod < self.window.first_instant:
                    yield Counted(name="sitemap_older_than_window")
                else:
                    queue.append((child, depth + 1))
            for entry in parsed.entries:
                when = entry.when
                if when is None:
                    yield Counted(name="sitemap_entry_undated")
                elif not self.window.contains(when):
                    yield Counted(name="outside_window")
                else:
                    kept.setdefault(entry.loc, entry)
        entries.extend(kept.values())
        yield read, errors

    async def _day(
        self,
        env: SourceEnv,
        day: date,
        entries: list[Discovered],
        origins: list[str],
        stats: dict[str, tuple[int, int]],
    ) -> AsyncIterator[Event]:
        per_outlet: dict[str, int] = {}
        for origin, feed, entry in entries:
            if origin not in origins:
                continue
            try:
                canonical = canonical_url(entry.loc)
            except UrlError:
                yield Counted(name="sitemap_bad_url")
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
            yield Found(
                item=item,
                fetch=page_fetch(item.url),
                published_fallback=entry.when,
                coverage=(day, outlet),
                capture=True,
            )
        for origin in origins:
            outlet = outlet_name(self.outlets[origin])
            read, errors = stats[origin]
            # Every day of the outlet shares the errors met reading its sitemaps.
            captures = per_outlet.get(outlet, 0)
            yield CoveredDay(day=day, outlet=outlet, captures=captures, errors=errors)
            if env.can_checkpoint(day) and read > 0 and errors == 0:
                yield Checkpoint(unit=origin, day=day)
