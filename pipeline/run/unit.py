"""One unit of the pass: its events consumed, ids claimed, pages processed, its run staged.

`UnitPass.page` is the one per-page error handler and `UnitPass.finish` the one "every page
failed" guard of newsdesk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pipeline.analysis import AnalysisUpdate
from pipeline.archive import Capture, CaptureKind, CaptureWriter
from pipeline.assemble import PageJob, TagJob, TextJob, process_job
from pipeline.config import Settings
from pipeline.http import FetchResult
from pipeline.models import FeedFetch, FeedItem, ParsedFeed, RunReport
from pipeline.sources.base import (
    Checkpoint,
    Counted,
    CoveredDay,
    Found,
    PassTotals,
    Polled,
    Source,
    SourceEnv,
    Unit,
    page_fetch,
)
from pipeline.staging import StagedRun
from pipeline.warehouse import (
    KnownState,
    LoadResult,
)

log = logging.getLogger(__name__)
STOP_POLL_SECONDS = 0.1

# (event, label, n): "unit" starts a unit, "feed" and "page" advance it, "done" ends it.
Progress = Callable[[str, str, int], None]
# Called once per feed with what was stored and what came back (`newsdesk watch` schedules by it).
FeedObserver = Callable[[FeedFetch, FetchResult, ParsedFeed | None], None]


class PassFailed(RuntimeError):
    """Every page of a unit failed unexpectedly: a bug or a broken pool, not bad input."""


def new_run_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; workers must let the parent finish its work.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def make_pool(workers: int, *, ignore_sigint: bool = False) -> ProcessPoolExecutor:
    """Extraction workers; forkserver so no thread of the event loop is forked."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipeline.assemble"])
    init = _ignore_sigint if ignore_sigint else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init)


@dataclass(slots=True, kw_only=True)
class PassResult:
    """What one pass did: totals, one report per staged unit, what was merged."""

    totals: PassTotals
    reports: list[RunReport] = field(default_factory=list)
    loaded: list[LoadResult] = field(default_factory=list)
    analysis: AnalysisUpdate | None = None

    @property
    def report(self) -> RunReport:
        """The last unit's report (the only one of a live pass)."""
        return self.reports[-1] if self.reports else RunReport(run_id="")


@dataclass(slots=True, kw_only=True)
class PassContext:
    """What all units of one pass share."""

    settings: Settings
    source: Source
    env: SourceEnv
    now: datetime
    pool: Executor
    merge: bool
    result: PassResult
    progress: Progress | None = None
    observe: FeedObserver | None = None
    stop: Callable[[], bool] | None = None  # asked to stop: abandon pages in flight, keep the rest
    claimed: set[str] = field(default_factory=set)

    @property
    def state(self) -> KnownState:
        return self.env.state

    def tick(self, event: str, label: str = "", n: int = 1) -> None:
        if self.progress is not None:
            self.progress(event, label, n)


class UnitPass:
    """One unit of a pass: its events consumed, its pages processed, its run staged."""

    def __init__(self, run: PassContext, unit: Unit) -> None:
        settings = run.settings
        self.run = run
        self.unit = unit
        self.staged = StagedRun(settings.staging_dir, unit.run_id, batch_size=settings.batch_size)
        self.report = RunReport(run_id=unit.run_id, feeds_total=unit.feeds_total)
        self.captures = (
            CaptureWriter(settings.raw_dir / f"{run.now:%Y/%m/%d}", unit.run_id)
            if settings.write_warc and run.env.http is not None
            else None
        )
        self.slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.tasks: set[asyncio.Task[None]] = set()
        self.attempted = 0
        self.broken = 0
        self.stopped = False

    async def consume(self) -> None:
        started = time.monotonic()
        self.run.tick("unit", self.unit.label, 0)
        body = asyncio.create_task(self._consume())
        try:
            while not body.done():
                await asyncio.wait({body}, timeout=STOP_POLL_SECONDS)
                if not body.done() and self.run.stop is not None and self.run.stop():
                    self.abandon()
                    body.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await body
                    break
            else:
                body.result()  # its exception, if any
        except BaseException:
            body.cancel()
            for task in self.tasks:
                task.cancel()
            self.close()
            raise
        self.close()
        self.report.elapsed_s = time.monotonic() - started

    async def _consume(self) -> None:
        async for event in self.unit.events:
            await self.on_event(event)
        await asyncio.gather(*self.tasks)

    def abandon(self) -> None:
        """Stop now: pages in flight are dropped, fetched again next time; the rest is kept."""
        in_flight = [t for t in self.tasks if not t.done()]
        for task in in_flight:
            task.cancel()
        self.stopped = True
        self.report.skip("abandoned_on_stop", len(in_flight))
        # Their feeds must not answer 304 next time, or the dropped items would never return.
        self.staged.forget_validators()
        log.info("stop requested: %d pages in flight abandoned", len(in_flight))

    async def on_event(self, event: object) -> None:
        totals = self.run.result.totals
        if isinstance(event, Found):
            await self.found(event)
        elif isinstance(event, Polled):
            await self.polled(event)
        elif isinstance(event, CoveredDay):
            self.staged.add_coverage_day(
                day=event.day, outlet=event.outlet, source=self.run.source.name,
                captures=event.captures, errors=event.errors,
            )  # fmt: skip
            totals.captures += event.captures
        elif isinstance(event, Checkpoint):
            self.staged.add_checkpoint(source=self.run.source.name, unit=event.unit, day=event.day)
        elif isinstance(event, Counted):
            count_event(totals, event)
        else:
            raise TypeError(f"{self.run.source.name}: unknown event {event!r}")

    def claim(self, item: FeedItem) -> str | None:
        """None when the item is to be processed; else the reason it is not."""
        if self.run.source.revisit:
            return None
        if item.article_id in self.run.state.done_ids:
            return "already_stored"
        if item.article_id in self.run.claimed:
            return "already_found"
        self.run.claimed.add(item.article_id)
        return None

    async def found(self, found: Found) -> None:
        item = found.item
        totals = self.run.result.totals
        totals.items_found += 1
        if found.coverage is not None:
            day, outlet = found.coverage
            totals.per_day[str(day)] = totals.per_day.get(str(day), 0) + 1
            self.staged.add_coverage_item(
                day=day, outlet=outlet, source=self.run.source.name,
                article_id=item.article_id, url=item.url,
            )  # fmt: skip
        self.report.items_seen += 1
        reason = self.claim(item)
        if reason is not None:
            self.report.skip(reason, feed=item.feed_url)
            return
        self.report.items_new += 1
        await self.spawn(found)

    async def polled(self, polled: Polled) -> None:
        feed, result, parsed = polled.feed, polled.result, polled.parsed
        self.capture(result, "feed")
        items: Sequence[FeedItem] = ()
        error, title = result.error, None
        if result.not_modified:
            outcome = "not_modified"
            self.report.feeds_not_modified += 1
        elif parsed is None:
            outcome = "error"
            error = error or f"http {result.status}"
        else:
            items, error, title = parsed.items, parsed.error, parsed.title
            outcome = "error" if error and not items else "ok"
        if error:
            log.warning("feed %s: %s", feed.url, error)
        # Each feed counts once: ok (items read, perhaps after repairs), not modified, or error.
        if outcome == "ok":
            self.report.feeds_ok += 1
        elif outcome == "error":
            self.report.feeds_error += 1
        self.report.items_seen += len(items)
        new = []
        for item in items:
            reason = self.claim(item)
            if reason is None:
                new.append(item)
            else:
                self.report.skip("already_stored", feed=feed.url)
        self.report.items_new += len(new)
        fetch = FeedFetch(
            feed_url=feed.url, run_id=self.unit.run_id, fetched_at=result.fetched_at,
            http_status=result.status, outcome=outcome, error=error,  # type: ignore[arg-type]
            items_seen=len(items), items_new=len(new), elapsed_ms=result.elapsed_ms,
            etag=result.etag, last_modified=result.last_modified, title=title,
        )  # fmt: skip
        self.staged.add_fetch(fetch, feed)
        if self.run.observe is not None:
            self.run.observe(fetch, result, parsed)
        self.run.tick("feed")
        for item in new:
            await self.spawn(Found(item=item, fetch=page_fetch(item.url), capture=True))

    async def spawn(self, found: Found) -> None:
        # Waiting for a slot before taking the next event keeps memory flat on huge sources.
        await self.slots.acquire()
        self.attempted += 1
        task = asyncio.create_task(self.page(found))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def page(self, found: Found) -> None:
        """The one per-page handler: an unexpected error sinks this page, never the pass."""
        try:
            await self.process(found)
        except Exception:
            log.exception("%s page %s: unexpected error", self.run.source.name, found.item.url)
            self.broken += 1
            self.report.skip("unexpected_error", feed=found.item.feed_url)
        finally:
            self.slots.release()
        self.run.tick("page")

    async def process(self, found: Found) -> None:
        run, item, page = self.run, found.item, found.page
        taxonomy = str(run.settings.taxonomy_dir)
        job: PageJob | TagJob | TextJob
        if found.stored is not None:
            job = TagJob(article=found.stored, taxonomy_dir=taxonomy)
        elif found.text is not None:
            job = TextJob(
                item=item, text=found.text, run_id=self.unit.run_id, fetched_at=run.now,
                taxonomy_dir=taxonomy,
            )  # fmt: skip
        else:
            if page is None and found.fetch is not None:
                page, raw = await found.fetch(run.env.require_http())
                if found.capture and raw is not None:
                    self.capture(raw, "page")
            if page is None:
                raise ValueError(f"{item.url}: the source gave neither a page nor a fetch")
            if page.status:
                self.report.pages_fetched += 1
            if page.error and found.keep_title and not item.summary and item.title:
                item = replace(item, summary=item.title)  # still an item published that day
            job = PageJob(
                item=item, run_id=self.unit.run_id, fetched_at=page.fetched_at,
                body=page.body if page.error is None else None, final_url=page.final_url,
                status=page.status, error=page.error, retry=page.transient,
                taxonomy_dir=taxonomy,
            )  # fmt: skip
            if page.error:
                # By the typed reason: page_http (404, 410 ...), page_robots, page_transient ...
                kind = page.error_kind or "broken"
                self.report.skip(f"page_{kind}", feed=item.feed_url)
        loop = asyncio.get_running_loop()
        article, outcome = await loop.run_in_executor(run.pool, process_job, job)
        if article is None:
            self.report.skip(outcome, feed=item.feed_url)
            return
        if run.source.revisit and outcome not in ("page", "retag", "import"):
            # A capture that no longer yields page text must not overwrite what is stored.
            self.report.skip(f"{run.source.name}_{outcome}", feed=item.feed_url)
            return
        if article.published_at is None and found.published_fallback is not None:
            # An archive knows when it saw the item even when neither feed nor page dates it.
            article = replace(
                article,
                published_at=found.published_fallback,
                date_source="capture",
                date_confidence="low",
            )
        self.staged.add_article(article)
        self.report.articles_staged += 1
        self.report.text_sources[outcome] = self.report.text_sources.get(outcome, 0) + 1

    def capture(self, result: FetchResult, kind: CaptureKind) -> None:
        if self.captures is not None and result.status and result.body:
            self.captures.write(
                Capture(
                    url=result.final_url, fetched_at=result.fetched_at, status=result.status,
                    headers=result.headers, body=result.body, kind=kind,
                )
            )  # fmt: skip

    def close(self) -> None:
        if self.captures is not None:
            self.captures.close()
            self.captures = None

    def finish(self) -> None:
        """The one "everything failed" guard, then the run staged READY."""
        if self.broken and self.broken >= self.attempted:
            # Every page failed the same unexpected way. Staging this would store the feeds'
            # new validators (hiding the items behind 304s) or checkpoint the unit: drop it.
            shutil.rmtree(self.staged.path, ignore_errors=True)
            raise PassFailed(
                f"run {self.unit.run_id}: all {self.broken} pages failed unexpectedly;"
                " staging discarded, see the log"
            )
        path = self.staged.finish(self.report, source=self.run.source.name, started_at=self.run.now)
        self.report.staged_path = str(path)
        totals = self.run.result.totals
        totals.runs.append(self.unit.run_id)
        totals.units_done += 1
        totals.items_new += self.report.items_new
        totals.articles_staged += self.report.articles_staged
        for reason, n in self.report.skipped.items():
            totals.skip(reason, n)
        self.run.result.reports.append(self.report)
        self.run.tick("done", self.unit.label, 0)


def count_event(totals: PassTotals, counted: Counted) -> None:
    if counted.skip:
        totals.skip(counted.name, counted.n)
    else:
        totals.count(counted.name, counted.n)
