"""Stored raw captures (newsdesk's own WARC files): stored articles extracted again, offline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path

from pipeline.archive import read_captures, warc_files
from pipeline.config import Settings
from pipeline.models import FeedItem
from pipeline.queries import load_query
from pipeline.sources.base import Counted, Event, Found, Page, SourceEnv, Unit
from pipeline.urls import UrlError, article_id, canonical_url
from pipeline.warehouse import connect


class CapturesSource:
    """One unit: each page capture of a stored article, with the item as stored."""

    name = "reprocess"
    revisit = True

    def __init__(self, paths: Sequence[Path] = (), *, now: datetime) -> None:
        self.paths = list(paths)
        self.run_id = f"reprocess-{now:%Y%m%dT%H%M%SZ}"

    def http_config(self, settings: Settings) -> None:
        return None

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        yield Unit(run_id=self.run_id, label="reprocess", events=self._events(env))

    async def _events(self, env: SourceEnv) -> AsyncIterator[Event]:
        items = stored_items(env.settings)
        for path in warc_files(self.paths or [env.settings.raw_dir]):
            for capture in read_captures(path):
                if capture.kind not in ("page", "other") or capture.status != 200:
                    continue
                try:
                    key = article_id(canonical_url(capture.url))
                except UrlError:
                    continue
                item = items.get(key)
                if item is None:
                    yield Counted(name="capture_not_an_article")
                    continue
                page = Page(
                    body=capture.body,
                    fetched_at=capture.fetched_at,
                    final_url=capture.url,
                    status=capture.status,
                )
                yield Found(item=item, page=page)


def stored_items(settings: Settings) -> dict[str, FeedItem]:
    """Every stored article as the item it was found as."""
    with connect(settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds) as con:
        rows = con.execute(load_query("sources/stored_items")).fetchall()
    names = ("article_id", "url", "canonical_url", "feed_url", "outlet", "title", "summary",
             "author", "published_at", "language")  # fmt: skip
    return {r[0]: FeedItem(**dict(zip(names, r, strict=True))) for r in rows}
