"""Typed records passed between stages; no loose dicts cross a module boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

TextSource = Literal["page", "feed_summary"]
FetchOutcome = Literal["ok", "not_modified", "error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    url: str
    outlet: str | None = None
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    article_id: str
    url: str
    canonical_url: str
    feed_url: str
    outlet: str | None
    title: str | None
    summary: str | None
    author: str | None
    published_at: datetime | None
    guid: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """What a feed body yielded: the items that could be recovered and, if any, why not all."""

    items: tuple[FeedItem, ...]
    title: str | None = None
    kind: str | None = None
    error: str | None = None
    ttl_minutes: int | None = None  # RSS <ttl>
    update_minutes: int | None = None  # sy:updatePeriod / sy:updateFrequency


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    """Conditional-GET state kept per feed between passes."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedFetch:
    """One row of `feed_fetches`: what happened to one feed in one run."""

    feed_url: str
    run_id: str
    fetched_at: datetime
    http_status: int
    outcome: FetchOutcome
    error: str | None
    items_seen: int
    items_new: int
    elapsed_ms: int
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tagging:
    """The tagger's verdict as stored: rows for `article_tags` plus the article-level fields."""

    is_conflict: bool
    score: float
    version: str
    rows: tuple[tuple[str, str, str | None, float, str], ...] = ()  # kind, value, code, score, ev


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    article_id: str
    url: str
    canonical_url: str
    feed_url: str
    outlet: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    text: str
    summary: str | None
    word_count: int
    content_hash: str
    text_source: TextSource
    run_id: str
    sitename: str | None = None
    http_status: int | None = None
    page_error: str | None = None
    page_retry: bool = False
    tagging: Tagging | None = None
    # Where published_at came from: feed, page (metadata), url, capture (archive time) or none;
    # and how sure that is: high, medium, low or none.
    date_source: str | None = None
    date_confidence: str | None = None


@dataclass(slots=True, kw_only=True)
class RunReport:
    """Counts for one pass: every skipped item is counted by reason."""

    run_id: str
    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_error: int = 0
    items_seen: int = 0
    items_new: int = 0
    pages_fetched: int = 0
    articles_staged: int = 0
    articles_inserted: int = 0
    articles_updated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_by_feed: dict[str, dict[str, int]] = field(default_factory=dict)  # feed -> reasons
    text_sources: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    staged_path: str | None = None

    def skip(self, reason: str, n: int = 1, *, feed: str | None = None) -> None:
        if n <= 0:
            return
        self.skipped[reason] = self.skipped.get(reason, 0) + n
        if feed is not None:
            per_feed = self.skipped_by_feed.setdefault(feed, {})
            per_feed[reason] = per_feed.get(reason, 0) + n

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "feeds_total": self.feeds_total,
            "feeds_ok": self.feeds_ok,
            "feeds_not_modified": self.feeds_not_modified,
            "feeds_error": self.feeds_error,
            "items_seen": self.items_seen,
            "items_new": self.items_new,
            "pages_fetched": self.pages_fetched,
            "articles_staged": self.articles_staged,
            "articles_inserted": self.articles_inserted,
            "articles_updated": self.articles_updated,
            "skipped": dict(self.skipped),
            "skipped_by_feed": {f: dict(r) for f, r in self.skipped_by_feed.items()},
            "text_sources": dict(self.text_sources),
            "elapsed_s": round(self.elapsed_s, 3),
            "staged_path": self.staged_path,
        }
