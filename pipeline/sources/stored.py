"""Stored articles: re-tagged where the tagger changed since they were stored, offline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from pipeline.config import Settings
from pipeline.models import Article, FeedItem
from pipeline.queries import load_query
from pipeline.sources.base import Counted, Event, Found, SourceEnv, Unit
from pipeline.tagging import get_tagger
from pipeline.warehouse import connect


class StoredSource:
    """One unit: every article stored by another tagger version (all of them with `force`)."""

    name = "retag"
    revisit = True

    def __init__(self, *, now: datetime, force: bool = False) -> None:
        self.run_id = f"retag-{now:%Y%m%dT%H%M%SZ}"
        self.force = force

    def http_config(self, settings: Settings) -> None:
        return None

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        yield Unit(run_id=self.run_id, label="retag", events=self._events(env))

    async def _events(self, env: SourceEnv) -> AsyncIterator[Event]:
        settings = env.settings
        version = get_tagger(str(settings.taxonomy_dir)).version
        sql = load_query("sources/stored_articles")
        # The version is a bind parameter; `force` passes one no article can have.
        params = [None if self.force else version, self.force]
        with connect(
            settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds
        ) as con:
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description or []]
            while rows := cursor.fetchmany(1000):
                for row in rows:
                    # The row keeps the run that fetched it; only the tags and verdict change.
                    article = Article(**dict(zip(names, row, strict=True)))
                    yield Found(item=_item(article), stored=article)


def _item(a: Article) -> FeedItem:
    return FeedItem(
        article_id=a.article_id, url=a.url, canonical_url=a.canonical_url, feed_url=a.feed_url,
        outlet=a.outlet, title=a.title, summary=a.summary, author=a.author,
        published_at=a.published_at, language=a.language,
    )  # fmt: skip
