"""Feeds: the registry of feeds to poll (`registry`) and feed parsing (`parse`)."""

from __future__ import annotations

from pipeline.feeds.parse import looks_like_html, parse_feed
from pipeline.feeds.registry import (
    CSV_COLUMNS,
    FeedListError,
    add_feeds,
    load_feeds,
    read_csv,
    read_opml,
    write_csv,
)

__all__ = [
    "CSV_COLUMNS",
    "FeedListError",
    "add_feeds",
    "load_feeds",
    "looks_like_html",
    "parse_feed",
    "read_csv",
    "read_opml",
    "write_csv",
]
