"""What every archive source shares: the window, one staged run per unit of work, coverage.

A backfill is a pass with another source: items found in an archive go through the same
identity (`article_id` from the canonical URL), the same `Pass.assemble` (extraction and
tagging in the process pool), the same staging and the same merge as live runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlsplit

import duckdb

from pipeline.archive import CaptureWriter
from pipeline.config import Settings
from pipeline.models import Feed, FeedItem, RunReport
from pipeline.run import Pass
from pipeline.staging import StagedRun
from pipeline.warehouse import KnownState, LoadResult, connect, load_staged

log = logging.getLogger(__name__)

Source = Literal["wayback", "warc", "sitemap"]
SOURCES: tuple[Source, ...] = ("wayback", "warc", "sitemap")
MAX_WINDOW_DAYS = 366


class BackfillError(ValueError):
    """A backfill cannot start as asked; the message names the input and the cause."""


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive UTC days [start, end]."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise BackfillError(f"--to {self.end} is before --from {self.start}")
        if (self.end - self.start).days + 1 > MAX_WINDOW_DAYS:
            raise BackfillError(
                f"{self.start}..{self.end}: at most {MAX_WINDOW_DAYS} days per backfill"
            )

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def contains(self, when: datetime) -> bool:
        return self.start <= day_of(when) <= self.end

    @property
    def first_instant(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def end_instant(self) -> datetime:
        """The first instant after the window."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)

    @classmethod
    def from_interval(cls, start: datetime, end: datetime) -> Window:
        """The days of a half-open data interval [start, end) (an Airflow run's window)."""
        last = end - timedelta(microseconds=1)
        return cls(day_of(start), day_of(max(start, last)))


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BackfillError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def day_of(when: datetime) -> date:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).date()


def site_host(url: str) -> str:
    """Host without `www.`: the key outlets and domains are matched on."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def outlet_name(feed: Feed) -> str:
    return feed.outlet or site_host(feed.url)


def domain_matches(host: str, domains: Iterable[str]) -> str | None:
    """The entry of `domains` that `host` belongs to (itself or a subdomain), if any."""
    host = host.lower().removeprefix("www.")
    for domain in domains:
        if host == domain or host.endswith("." + domain):
            return domain
    return None


def feed_domains(feeds: Sequence[Feed]) -> dict[str, Feed]:
    """Site domain -> feed, guessed from feed URLs (`feeds.`/`rss.` hosts serve the site)."""
    out: dict[str, Feed] = {}
    for feed in feeds:
        host = site_host(feed.url)
        for prefix in ("feeds.", "feed.", "rss."):
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix) :]
        out.setdefault(host, feed)
    return out


def run_id_for(source: str, day: date | None, key: str) -> str:
    """A deterministic run id: a retried or resumed unit restages the same folder."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    when = f"{day:%Y%m%d}" if day else "all"
    return f"backfill-{source}-{when}-{digest}"


@dataclass(slots=True, kw_only=True)
class BackfillReport:
    """Counts for one backfill; skipped things are counted by reason."""

    source: str
    start: date
    end: date
    runs: list[str] = field(default_factory=list)
    units_done: int = 0
    units_resumed: int = 0  # skipped: an earlier backfill finished them
    units_failed: int = 0
    captures: int = 0
    items_found: int = 0
    items_new: int = 0
    articles_staged: int = 0
    articles_inserted: int = 0
    errors: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    per_day: dict[str, int] = field(default_factory=dict)  # day -> items found

    def skip(self, reason: str, n: int = 1) -> None:
        if n > 0:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def absorb(self, run: RunReport) -> None:
        self.articles_staged += run.articles_staged
        self.items_new += run.items_new
        for reason, n in run.skipped.items():
            self.skip(reason, n)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "window_start": self.start.isoformat(),
            "window_end": self.end.isoformat(),
            "runs": list(self.runs),
            "units_done": self.units_done,
            "units_resumed": self.units_resumed,
            "units_failed": self.units_failed,
            "captures": self.captures,
            "items_found": self.items_found,
            "items_new": self.items_new,
            "articles_staged": self.articles_staged,
            "articles_inserted": self.articles_inserted,
            "errors": self.errors,
            "skipped": dict(self.skipped),
            "per_day": dict(self.per_day),
        }


# (event, label, n): "day" starts a day's bar with n steps, "step" advances it, "done" ends it.
DayProgress = Callable[[str, str, int], None]


@dataclass(slots=True, kw_only=True)
class Context:
    """What all units of one backfill share."""

    settings: Settings
    source: Source
    window: Window
    now: datetime
    pool: Executor
    state: KnownState
    report: BackfillReport
    checkpoints: frozenset[tuple[str, date]]
    merge: bool = True
    progress: DayProgress | None = None
    claimed: set[str] = field(default_factory=set)

    def done(self, unit: str, day: date) -> bool:
        return (unit, day) in self.checkpoints

    def can_checkpoint(self, day: date) -> bool:
        """Only a day that is over can be finished: later captures may still arrive."""
        return day < day_of(self.now)


class UnitRun:
    """One staged run of a backfill: a `Pass` whose items also become coverage rows."""

    def __init__(self, ctx: Context, run_id: str) -> None:
        self.ctx = ctx
        settings = ctx.settings
        self.staged = StagedRun(settings.staging_dir, run_id, batch_size=settings.batch_size)
        captures = (
            CaptureWriter(settings.raw_dir / f"{ctx.now:%Y/%m/%d}", run_id)
            if settings.write_warc
            else None
        )
        report = RunReport(run_id=run_id)
        progress = ctx.progress

        def tick(what: str, n: int) -> None:
            if progress is not None and what == "page":
                progress("step", "", n)

        self.run = Pass(settings, run_id, ctx.state, self.staged, report, ctx.pool, captures, tick)
        self.run.claimed = ctx.claimed

    def found(self, item: FeedItem, *, day: date, outlet: str) -> bool:
        """Record an item found for `day`; True when its page is still to be processed."""
        self.staged.add_coverage_item(
            day=day, outlet=outlet, source=self.ctx.source, article_id=item.article_id,
            url=item.url,
        )  # fmt: skip
        self.run.report.items_seen += 1
        if item.article_id in self.ctx.state.done_ids:
            self.run.report.skip("already_stored")
            return False
        if item.article_id in self.ctx.claimed:
            self.run.report.skip("already_found")
            return False
        self.ctx.claimed.add(item.article_id)
        self.run.report.items_new += 1
        return True

    def finish(self) -> LoadResult | None:
        """Stage the run (READY) and, unless the loader merges later, merge it now."""
        ctx = self.ctx
        if self.run.captures is not None:
            self.run.captures.close()
        report = self.run.report
        broken = report.skipped.get("unexpected_error", 0)
        if broken and broken >= report.items_new:
            # Every page failed the same unexpected way (a broken worker pool, a bug): staging
            # this would checkpoint the unit and hide its items from the next backfill.
            raise RuntimeError(
                f"backfill run {report.run_id}: all {broken} pages failed unexpectedly; see the log"
            )
        self.staged.finish(self.run.report, source=ctx.source, started_at=ctx.now)
        ctx.report.runs.append(self.staged.run_id)
        ctx.report.absorb(self.run.report)
        if not ctx.merge:
            return None
        loaded = load_staged(
            ctx.settings.db_path, ctx.settings.staging_dir,
            wait_seconds=ctx.settings.lock_wait_seconds,
        )  # fmt: skip
        # Leftover staging of other passes is merged too; only backfill runs count here.
        ctx.report.articles_inserted += sum(
            r.inserted for r in loaded if r.run_id.startswith("backfill-")
        )
        return next((r for r in loaded if r.run_id == self.staged.run_id), None)

    def abandon(self) -> None:
        if self.run.captures is not None:
            self.run.captures.close()


async def finish_unit(
    ctx: Context, unit: UnitRun, jobs: Sequence[Callable[[], Awaitable[None]]], *, label: str
) -> None:
    """Run a unit's page jobs (at most `concurrency` at a time), then finish and checkpoint it.

    Any failure abandons the unit (nothing checkpointed, its staging dropped) and is re-raised.
    """
    slots = asyncio.Semaphore(max(1, ctx.settings.concurrency))

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with slots:
            await job()

    try:
        await asyncio.gather(*(one(job) for job in jobs))
    except BaseException:
        unit.abandon()
        raise
    ctx.report.units_done += 1
    await asyncio.to_thread(unit.finish)
    if ctx.progress is not None:
        ctx.progress("done", label, 0)


def read_checkpoints(settings: Settings, source: str) -> frozenset[tuple[str, date]]:
    """(unit, day) pairs an earlier backfill of `source` finished and merged."""
    if not settings.db_path.exists():
        return frozenset()
    with connect(settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds) as con:
        try:
            rows = con.execute(
                "SELECT unit, day FROM backfill_checkpoints WHERE source = ?", [source]
            ).fetchall()
        except duckdb.CatalogException:  # a warehouse from before backfills existed
            return frozenset()
    return frozenset((str(unit), day) for unit, day in rows)
