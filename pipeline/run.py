"""One pass end to end: feeds -> polite fetch -> extract + tag (process pool) -> stage -> merge."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pipeline.archive import Capture, CaptureKind, CaptureWriter
from pipeline.assemble import PageJob, assemble_article
from pipeline.config import Settings
from pipeline.feeds import load_feeds, parse_feed
from pipeline.http import FetchResult, Http
from pipeline.models import Article, Feed, FeedFetch, FeedItem, ParsedFeed, RunReport
from pipeline.staging import StagedRun
from pipeline.warehouse import KnownState, LoadResult, load_staged, read_state

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]
# Called once per feed with what was stored and what came back (`newsdesk watch` schedules by it).
FeedObserver = Callable[[FeedFetch, FetchResult, ParsedFeed | None], None]
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_TRANSIENT = ("timeout", "connection", "http 5", "http 429", "http 408", "robots.txt unavailable")


def new_run_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def is_transient(error: str | None) -> bool:
    return error is not None and error.lower().startswith(_TRANSIENT)


def make_pool(workers: int) -> ProcessPoolExecutor:
    """Extraction workers; forkserver so no thread of the event loop is forked."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipeline.assemble"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


@dataclass(slots=True)
class Pass:
    """The state of one pass: what is known, what is staged, and the counts."""

    settings: Settings
    run_id: str
    state: KnownState
    staged: StagedRun
    report: RunReport
    pool: Executor
    captures: CaptureWriter | None
    progress: Progress | None
    claimed: set[str] = field(default_factory=set)
    observe: FeedObserver | None = None

    def tick(self, what: str, n: int = 1) -> None:
        if self.progress is not None:
            self.progress(what, n)

    def capture(self, result: FetchResult, kind: CaptureKind) -> None:
        if self.captures is not None and result.status and result.body:
            self.captures.write(
                Capture(
                    url=result.final_url,
                    fetched_at=result.fetched_at,
                    status=result.status,
                    headers=result.headers,
                    body=result.body,
                    kind=kind,
                )
            )

    async def feed(self, http: Http, feed: Feed, queue: asyncio.Queue[FeedItem | None]) -> None:
        etag, last_modified = self.state.validators.get(feed.url, (None, None))
        result = await http.get(
            feed.url, etag=etag, last_modified=last_modified, accept=_FEED_ACCEPT
        )
        self.capture(result, "feed")
        items: Sequence[FeedItem] = ()
        error = result.error
        title = None
        parsed: ParsedFeed | None = None
        if result.not_modified:
            outcome = "not_modified"
            self.report.feeds_not_modified += 1
        elif not result.ok:
            outcome = "error"
            error = error or f"http {result.status}"
        else:
            parsed = parse_feed(
                result.body,
                feed,
                fetched_at=result.fetched_at,
                content_type=result.headers.get("content-type"),
                base_url=result.final_url,
                max_items=self.settings.max_items_per_feed,
            )
            items, error, title = parsed.items, parsed.error, parsed.title
            outcome = "error" if error and not items else "ok"
        if error:
            log.warning("feed %s: %s", feed.url, error)
        done, claimed = self.state.done_ids, self.claimed
        new = [i for i in items if i.article_id not in done and i.article_id not in claimed]
        for item in new:
            self.claimed.add(item.article_id)
        self.report.items_seen += len(items)
        self.report.items_new += len(new)
        self.report.skip("already_stored", len(items) - len(new), feed=feed.url)
        if outcome == "ok":
            self.report.feeds_ok += 1
        if error:
            self.report.feeds_error += 1
        fetch = FeedFetch(
            feed_url=feed.url,
            run_id=self.run_id,
            fetched_at=result.fetched_at,
            http_status=result.status,
            outcome=outcome,  # type: ignore[arg-type]
            error=error,
            items_seen=len(items),
            items_new=len(new),
            elapsed_ms=result.elapsed_ms,
            etag=result.etag,
            last_modified=result.last_modified,
            title=title,
        )
        self.staged.add_fetch(fetch, feed)
        if self.observe is not None:
            self.observe(fetch, result, parsed)
        self.tick("feed")
        for item in new:
            await queue.put(item)

    async def page(self, http: Http, item: FeedItem) -> None:
        result = await http.get(item.url, accept=_PAGE_ACCEPT)
        self.capture(result, "page")
        error = None if result.ok else (result.error or f"http {result.status}")
        await self.assemble(
            item,
            body=result.body if result.ok else None,
            fetched_at=result.fetched_at,
            final_url=result.final_url,
            status=result.status,
            error=error,
        )

    async def assemble(
        self,
        item: FeedItem,
        *,
        body: bytes | None,
        fetched_at: datetime,
        final_url: str | None,
        status: int,
        error: str | None,
        published_fallback: datetime | None = None,
    ) -> Article | None:
        """Extract and tag one item's page (or fall back to its summary) and stage the article.

        Every source ends here: live pages, archived captures and WARC records alike.
        """
        if status:
            self.report.pages_fetched += 1
        job = PageJob(
            item=item,
            run_id=self.run_id,
            fetched_at=fetched_at,
            body=body if error is None else None,
            final_url=final_url,
            status=status,
            error=error,
            retry=is_transient(error),
            taxonomy_dir=str(self.settings.taxonomy_dir),
        )
        loop = asyncio.get_running_loop()
        article, outcome = await loop.run_in_executor(self.pool, assemble_article, job)
        if error:
            self.report.skip("page_" + ("transient" if job.retry else "failed"), feed=item.feed_url)
        if article is None:
            self.report.skip(outcome, feed=item.feed_url)
        else:
            if article.published_at is None and published_fallback is not None:
                # An archive knows when it saw the item even when neither feed nor page dates it.
                article = replace(article, published_at=published_fallback)
            self.staged.add_article(article)
            self.report.articles_staged += 1
            self.report.text_sources[outcome] = self.report.text_sources.get(outcome, 0) + 1
        self.tick("page")
        return article

    async def page_worker(self, http: Http, queue: asyncio.Queue[FeedItem | None]) -> None:
        while (item := await queue.get()) is not None:
            try:
                await self.page(http, item)
            except Exception:  # one bad page must not sink the pass; it is logged and counted
                log.exception("page %s: unexpected error", item.url)
                self.report.skip("unexpected_error", feed=item.feed_url)


_Pass = Pass  # the name other modules knew


async def stage_pass(
    settings: Settings,
    *,
    feeds: Sequence[Feed],
    run_id: str,
    now: datetime,
    source: str = "live",
    progress: Progress | None = None,
    pool: Executor | None = None,
    observe: FeedObserver | None = None,
) -> RunReport:
    """Fetch, extract and tag everything new in `feeds`; stage it under staging/<run_id>/."""
    started = time.monotonic()
    state = read_state(settings.db_path, wait_seconds=settings.lock_wait_seconds)
    report = RunReport(run_id=run_id, feeds_total=len(feeds))
    staged = StagedRun(settings.staging_dir, run_id, batch_size=settings.batch_size)
    captures = (
        CaptureWriter(settings.raw_dir / f"{now:%Y/%m/%d}", run_id) if settings.write_warc else None
    )
    own_pool = pool is None
    executor = pool or make_pool(settings.workers)
    run = Pass(settings, run_id, state, staged, report, executor, captures, progress)
    run.observe = observe
    queue: asyncio.Queue[FeedItem | None] = asyncio.Queue(maxsize=settings.queue_size)
    try:
        async with Http(settings.http) as http:
            workers = [
                asyncio.create_task(run.page_worker(http, queue))
                for _ in range(settings.concurrency)
            ]
            feed_slots = asyncio.Semaphore(max(1, min(settings.concurrency, 8)))

            async def one_feed(feed: Feed) -> None:
                async with feed_slots:
                    await run.feed(http, feed, queue)

            await asyncio.gather(*(one_feed(f) for f in feeds))
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers)
    finally:
        if captures is not None:
            captures.close()
        if own_pool:
            executor.shutdown(wait=True, cancel_futures=True)
    report.elapsed_s = time.monotonic() - started
    broken = report.skipped.get("unexpected_error", 0)
    if broken and broken == report.items_new:
        # Every page failed the same unexpected way: a bug or a broken worker pool, not bad input.
        # Merging would store the feeds' new validators and hide these items behind 304s.
        raise RuntimeError(f"run {run_id}: all {broken} new pages failed unexpectedly; see the log")
    report.staged_path = str(staged.finish(report, source=source, started_at=now))
    return report


def run_once(
    settings: Settings,
    *,
    feeds: Sequence[Feed] | None = None,
    now: datetime | None = None,
    run_id: str | None = None,
    progress: Progress | None = None,
) -> tuple[RunReport, list[LoadResult]]:
    """One live pass: stage, then merge (with any staged leftovers of earlier passes)."""
    now = now or datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    feeds = list(feeds) if feeds is not None else load_feeds(settings.feeds_path)
    report = asyncio.run(
        stage_pass(settings, feeds=feeds, run_id=run_id, now=now, progress=progress)
    )
    return report, merge_staged(settings, report)


def merge_staged(settings: Settings, report: RunReport) -> list[LoadResult]:
    """Merge every ready staged run and copy this run's inserted/updated counts into `report`."""
    loaded = load_staged(
        settings.db_path, settings.staging_dir, wait_seconds=settings.lock_wait_seconds
    )
    for result in loaded:
        if result.run_id == report.run_id:
            report.articles_inserted = result.inserted
            report.articles_updated = result.updated
    return loaded
