"""Wayback Machine source: archived captures of each feed per day, then each article's capture.

For each feed and day: one CDX query (`/cdx/search/cdx?...&output=json&filter=statuscode:200
&collapse=digest`), each capture fetched raw (`/web/<timestamp>id_/<url>`, no Wayback banner or
rewritten links), its items kept when published in the window (capture time when undated),
then each new item's page fetched the same way at the time it was published. An item whose
page has no usable capture keeps its feed summary (`text_source = 'feed_summary'`, `page_error`
says why). Politeness: one request per `wayback_min_interval` seconds to the archive, backoff
with Retry-After on 429/503 (the HTTP layer), bounded retries.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from urllib.parse import quote, urlencode

from pipeline.config import HttpConfig, Settings
from pipeline.feeds import parse_feed
from pipeline.http import FetchResult, Http
from pipeline.models import Feed, FeedItem
from pipeline.sources.base import (
    Checkpoint,
    Counted,
    CoveredDay,
    Event,
    Fetch,
    Found,
    Page,
    SourceEnv,
    Unit,
    Window,
    day_of,
)
from pipeline.sources.outlets import outlet_name, run_id_for

log = logging.getLogger(__name__)

DEFAULT_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_ACCEPT_FEED = "application/rss+xml, application/atom+xml, application/xml, text/xml, */*;q=0.5"
_ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True, slots=True, kw_only=True)
class CdxRow:
    timestamp: str  # YYYYMMDDhhmmss
    original: str
    captured_at: datetime
    statuscode: str | None = None
    mimetype: str | None = None
    digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CdxAnswer:
    rows: tuple[CdxRow, ...]
    malformed: int = 0  # lines that were not a capture (bad timestamp, too few fields, ...)


def parse_timestamp(value: str) -> datetime | None:
    """A 14-digit Wayback timestamp (shorter ones are padded), or None when it is no date."""
    digits = value.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        return None
    digits = digits.ljust(14, "0")
    if digits[4:6] == "00" or digits[6:8] == "00":
        return None
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_cdx(body: bytes, *, fields: Sequence[str] = DEFAULT_FIELDS) -> CdxAnswer:
    """Parse a CDX answer: JSON (header row first, any `fl=` selection) or space-separated lines.

    Malformed lines (bad timestamps, missing fields, garbage) are counted and skipped; rows
    that are not 200 despite the filter are skipped too, and duplicate digests collapsed.
    """
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return CdxAnswer(rows=())
    table: list[list[str]] = []
    malformed = 0
    header: list[str] | None = None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, list):
        for row in data:
            if isinstance(row, list) and all(isinstance(v, str) for v in row):
                table.append([str(v) for v in row])
            else:
                malformed += 1
        if table and "timestamp" in table[0] and "original" in table[0]:
            header = table.pop(0)
    else:
        table = [line.split() for line in text.splitlines() if line.strip()]
    names = list(header or fields)
    rows: list[CdxRow] = []
    seen: set[str] = set()
    for raw in table:
        if len(raw) != len(names):
            malformed += 1
            continue
        rec = dict(zip(names, raw, strict=True))
        when = parse_timestamp(rec.get("timestamp", ""))
        original = rec.get("original", "")
        if when is None or not original.startswith(("http://", "https://")):
            malformed += 1
            continue
        status = rec.get("statuscode")
        if status not in (None, "200", "-"):
            continue
        digest = rec.get("digest")
        if digest and digest != "-":
            if digest in seen:
                continue
            seen.add(digest)
        rows.append(
            CdxRow(
                timestamp=rec["timestamp"].ljust(14, "0"),
                original=original,
                captured_at=when,
                statuscode=status,
                mimetype=rec.get("mimetype"),
                digest=digest,
            )
        )
    rows.sort(key=lambda r: r.timestamp)
    return CdxAnswer(rows=tuple(rows), malformed=malformed)


def cdx_url(base: str, url: str, day: date) -> str:
    query = urlencode(
        {
            "url": url,
            "from": f"{day:%Y%m%d}",
            "to": f"{day:%Y%m%d}",
            "output": "json",
            "filter": "statuscode:200",
            "collapse": "digest",
        }
    )
    return f"{base}/cdx/search/cdx?{query}"


def playback_url(base: str, timestamp: str, url: str) -> str:
    """The raw capture of `url` closest to `timestamp` (`id_`: the bytes as archived)."""
    return f"{base}/web/{timestamp}id_/{quote(url, safe=':/?&=%#;,+@~!$*()')}"


def archive_http_config(base: HttpConfig, *, min_interval: float, retries: int) -> HttpConfig:
    """The archive's own politeness: one request at a time, `min_interval` apart.

    robots.txt is not consulted for the archive: the CDX API and `id_` playback are the
    documented programmatic interface, and the interval and backoff are the politeness.
    """
    return replace(
        base,
        per_host_concurrency=1,
        min_host_delay=min_interval,
        retries=retries,
        respect_robots=False,
    )


def wayback_stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


class WaybackSource:
    """One unit per day: every feed's captures that day, then each new item's page capture."""

    name = "wayback"
    revisit = False

    def __init__(self, feeds: Sequence[Feed], *, window: Window) -> None:
        self.feeds = list(feeds)
        self.window = window

    def http_config(self, settings: Settings) -> HttpConfig:
        return archive_http_config(
            settings.http,
            min_interval=settings.wayback_min_interval,
            retries=settings.wayback_retries,
        )

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        key = (
            "|".join(sorted(f.url for f in self.feeds)) + f"|{self.window.start}..{self.window.end}"
        )
        for day in self.window.days():
            todo = [f for f in self.feeds if not env.done(f.url, day)]
            if len(todo) < len(self.feeds):
                yield Counted(name="units_resumed", n=len(self.feeds) - len(todo), skip=False)
            if todo:
                yield Unit(
                    run_id=run_id_for("wayback", day, key),
                    label=f"{day} wayback",
                    events=self._day(env, todo, day),
                )

    async def _day(self, env: SourceEnv, feeds: Sequence[Feed], day: date) -> AsyncIterator[Event]:
        """Everything the archive holds for `feeds` on `day`."""
        http = env.require_http()
        base = env.settings.wayback_url
        for feed in feeds:
            async for event in self._feed_day(env, http, base, feed, day):
                yield event

    async def _feed_day(
        self, env: SourceEnv, http: Http, base: str, feed: Feed, day: date
    ) -> AsyncIterator[Event]:
        outlet = outlet_name(feed)
        errors, captures = 0, 0
        answer = await http.get(cdx_url(base, feed.url, day), accept="application/json")
        if not answer.ok:
            log.warning("wayback cdx %s %s: %s", feed.url, day, answer.error or answer.status)
            yield Counted(name="cdx_failed")
            yield Counted(name="units_failed", skip=False)
            yield CoveredDay(day=day, outlet=outlet, captures=0, errors=1)
            return
        cdx = parse_cdx(answer.body)
        yield Counted(name="cdx_malformed_line", n=cdx.malformed)
        transient = False
        for row in cdx.rows:
            got = await http.get(
                playback_url(base, row.timestamp, row.original), accept=_ACCEPT_FEED
            )
            if not got.ok:
                errors += 1
                transient = transient or got.transient or got.status == 0
                yield Counted(name="capture_failed")
                continue
            captures += 1
            parsed = parse_feed(
                got.body, feed, fetched_at=row.captured_at,
                content_type=got.headers.get("content-type"), base_url=feed.url,
                max_items=env.settings.max_items_per_feed,
            )  # fmt: skip
            if not parsed.items:
                yield Counted(name="capture_not_a_feed")  # an error page archived in its place
                continue
            for item in parsed.items:
                when = item.published_at or row.captured_at
                if not self.window.contains(when):
                    yield Counted(name="outside_window")
                    continue
                yield Found(
                    item=item,
                    fetch=_page_fetch(base, item, wayback_stamp(when)),
                    published_fallback=row.captured_at,
                    coverage=(day_of(when), outlet),
                    keep_title=True,
                )
        yield CoveredDay(day=day, outlet=outlet, captures=captures, errors=errors)
        yield Counted(name="errors", n=errors, skip=False)
        if not transient and env.can_checkpoint(day):
            yield Checkpoint(unit=feed.url, day=day)


def _page_fetch(base: str, item: FeedItem, stamp: str) -> Fetch:
    """The item's page as archived nearest its publication time."""

    async def fetch(http: Http) -> tuple[Page, FetchResult | None]:
        got = await http.get(playback_url(base, stamp, item.url), accept=_ACCEPT_PAGE)
        if got.status == 404 and item.canonical_url != item.url:
            # Archived under the clean URL rather than the feed's tracking-tagged link?
            got = await http.get(playback_url(base, stamp, item.canonical_url), accept=_ACCEPT_PAGE)
        page = Page.from_fetch(got, final_url=item.url)
        if page.error is not None and got.error is None:
            page = replace(page, error=f"http {got.status}: no usable archived capture of the page")
        return page, None

    return fetch
