"""Live feeds: each feed fetched with its stored validators (conditional GET), then its pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from pipeline.config import HttpConfig, Settings
from pipeline.feeds import parse_feed
from pipeline.models import Feed, ParsedFeed
from pipeline.sources.base import Counted, Event, Polled, SourceEnv, Unit

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
MAX_FEEDS_AT_ONCE = 8


class LiveSource:
    """One unit: every feed of the list, polled now; new items' pages fetched by the pass."""

    name = "live"
    revisit = False

    def __init__(self, feeds: Sequence[Feed], *, run_id: str) -> None:
        self.feeds = list(feeds)
        self.run_id = run_id

    def http_config(self, settings: Settings) -> HttpConfig:
        return settings.http

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        yield Unit(
            run_id=self.run_id,
            label="live",
            events=self._events(env),
            feeds_total=len(self.feeds),
        )

    async def _events(self, env: SourceEnv) -> AsyncIterator[Event]:
        slots = asyncio.Semaphore(max(1, min(env.settings.concurrency, MAX_FEEDS_AT_ONCE)))

        async def poll(feed: Feed) -> Polled:
            async with slots:
                return await poll_feed(env, feed)

        tasks = [asyncio.create_task(poll(feed)) for feed in self.feeds]
        try:
            for done in asyncio.as_completed(tasks):
                yield await done
        finally:
            for task in tasks:
                task.cancel()


async def poll_feed(env: SourceEnv, feed: Feed) -> Polled:
    """Fetch one feed conditionally and parse it (off the event loop: parsing is CPU work)."""
    http = env.require_http()
    etag, last_modified = env.state.validators.get(feed.url, (None, None))
    result = await http.get(feed.url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT)
    parsed: ParsedFeed | None = None
    if result.ok:
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            feed,
            fetched_at=result.fetched_at,
            content_type=result.headers.get("content-type"),
            base_url=result.final_url,
            max_items=env.settings.max_items_per_feed,
        )
    return Polled(feed=feed, result=result, parsed=parsed)
