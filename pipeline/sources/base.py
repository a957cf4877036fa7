"""What a source yields and what the pass gives it: the contract between `sources/` and `run`.

A source turns a time window (or a file, or the warehouse itself) into units of work; each unit
is one staged run and yields typed events. The pass (`pipeline.run`) consumes them: it claims
ids, fetches what a `Found` asks it to fetch, extracts and tags in the process pool, stages,
merges and updates the analysis. A source never calls back into the pass.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from pipeline.config import HttpConfig, Settings
from pipeline.http import ErrorKind, FetchResult, Http
from pipeline.models import Article, Feed, FeedItem, ParsedFeed
from pipeline.warehouse import KnownState

MAX_WINDOW_DAYS = 366


class SourceError(ValueError):
    """A source cannot start as asked; the message names the input and the cause."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """A page in hand: fetched now, or read from an archive."""

    body: bytes | None
    fetched_at: datetime
    final_url: str | None
    status: int
    error: str | None = None
    error_kind: ErrorKind | None = None

    @classmethod
    def from_fetch(cls, result: FetchResult, *, final_url: str | None = None) -> Page:
        error = None if result.ok else (result.error or f"http {result.status}")
        kind = result.error_kind
        if error is not None and kind is None:  # a 3xx that was not followed, say
            kind = ErrorKind.HTTP
        return cls(
            body=result.body if error is None else None,
            fetched_at=result.fetched_at,
            final_url=final_url or result.final_url,
            status=result.status,
            error=error,
            error_kind=kind,
        )

    @property
    def transient(self) -> bool:
        return self.error_kind is not None and self.error_kind.transient


# How to get an item's page (and the raw response, to capture); called only for new items.
Fetch = Callable[[Http], Awaitable[tuple[Page, FetchResult | None]]]
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def page_fetch(url: str) -> Fetch:
    """The plain fetch of a page by its URL."""

    async def fetch(http: Http) -> tuple[Page, FetchResult | None]:
        result = await http.get(url, accept=PAGE_ACCEPT)
        return Page.from_fetch(result), result

    return fetch


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """An item a source found: its page, or how to fetch it, or a stored article to re-tag."""

    item: FeedItem
    page: Page | None = None
    fetch: Fetch | None = None
    published_fallback: datetime | None = None  # an archive knows when it saw the item
    coverage: tuple[date, str] | None = None  # (day, outlet): filed as a coverage item
    keep_title: bool = False  # a title-only item with no page is kept, its title as summary
    capture: bool = False  # keep the fetched page in the raw WARC captures
    stored: Article | None = None  # re-tag this stored article (no page, no extraction)
    text: str | None = None  # text extracted elsewhere (an imported corpus): cleaned and tagged


@dataclass(frozen=True, slots=True, kw_only=True)
class Polled:
    """A feed fetched live: the pass stages its fetch row and claims its items."""

    feed: Feed
    result: FetchResult
    parsed: ParsedFeed | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CoveredDay:
    """A day an archive source covered for an outlet, even when it found nothing."""

    day: date
    outlet: str
    captures: int
    errors: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A unit of work finished; recorded by the merge that stores its data."""

    unit: str
    day: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Counted:
    """Something the source counted: a skip reason, or a total such as `captures`."""

    name: str
    n: int = 1
    skip: bool = True  # a skip reason; otherwise a total of the pass report


Event = Found | Polled | CoveredDay | Checkpoint | Counted


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """One staged run: its id (deterministic for archive units, so retries restage it)."""

    run_id: str
    label: str
    events: AsyncIterator[Event]
    feeds_total: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceEnv:
    """What the pass hands a source: settings, time, what is stored, and its HTTP client."""

    settings: Settings
    now: datetime
    state: KnownState
    checkpoints: frozenset[tuple[str, date]] = frozenset()
    http: Http | None = None

    def done(self, unit: str, day: date) -> bool:
        return (unit, day) in self.checkpoints

    def can_checkpoint(self, day: date) -> bool:
        """Only a day that is over can be finished: later captures may still arrive."""
        return day < day_of(self.now)

    def require_http(self) -> Http:
        if self.http is None:
            raise RuntimeError("this source fetches, but its http_config() returned None")
        return self.http


class Source(Protocol):
    """Anything the pass can run: live feeds, archives, stored captures, stored articles."""

    name: str  # the `runs.source` value: live, wayback, warc, sitemap, reprocess, retag, import
    revisit: bool  # True: process stored articles again (reprocess, retag), never skip them

    def http_config(self, settings: Settings) -> HttpConfig | None:
        """The HTTP layer this source needs (None: it never fetches)."""
        ...

    def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        """The units of work, in order; each unit's events are consumed before the next.

        A `Counted` between units counts for the whole pass (units resumed, say)."""
        ...


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive UTC days [start, end]."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise SourceError(f"--to {self.end} is before --from {self.start}")
        if (self.end - self.start).days + 1 > MAX_WINDOW_DAYS:
            raise SourceError(
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


def day_of(when: datetime) -> date:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).date()


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SourceError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


@dataclass(slots=True, kw_only=True)
class PassTotals:
    """Counts over all units of one pass; skipped things are counted by reason."""

    source: str
    window: Window | None = None
    runs: list[str] = field(default_factory=list)
    units_done: int = 0
    units_resumed: int = 0  # skipped: an earlier pass finished them
    units_failed: int = 0
    captures: int = 0
    items_found: int = 0
    items_new: int = 0
    articles_staged: int = 0
    articles_inserted: int = 0
    articles_updated: int = 0
    errors: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    per_day: dict[str, int] = field(default_factory=dict)  # day -> items found

    def skip(self, reason: str, n: int = 1) -> None:
        if n > 0:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def count(self, name: str, n: int = 1) -> None:
        setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, object]:
        window = self.window
        return {
            "source": self.source,
            "window_start": window.start.isoformat() if window else None,
            "window_end": window.end.isoformat() if window else None,
            "runs": list(self.runs),
            "units_done": self.units_done,
            "units_resumed": self.units_resumed,
            "units_failed": self.units_failed,
            "captures": self.captures,
            "items_found": self.items_found,
            "items_new": self.items_new,
            "articles_staged": self.articles_staged,
            "articles_inserted": self.articles_inserted,
            "articles_updated": self.articles_updated,
            "errors": self.errors,
            "skipped": dict(self.skipped),
            "per_day": dict(self.per_day),
        }
