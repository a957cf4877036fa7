"""The feed registry: the list of feeds to poll, read from CSV or OPML and written as CSV."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.models import Feed
from pipeline.urls import UrlError, canonical_url

CSV_COLUMNS = ("outlet", "url", "country", "language")


class FeedListError(ValueError):
    """The feed list file is missing, unreadable or malformed; the message names file and line."""


def load_feeds(path: Path) -> list[Feed]:
    """Read the feed list from a CSV (header with a `url` column) or an OPML file."""
    if not path.exists():
        raise FeedListError(f"{path}: feed list not found")
    if path.suffix.lower() in (".opml", ".xml"):
        return _dedupe(read_opml(path))
    return _dedupe(read_csv(path))


def read_csv(path: Path) -> list[Feed]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{path}: cannot read feed list: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "url" not in header:
        raise FeedListError(
            f"{path}: line 1: header must name a 'url' column (got {header or 'none'})"
        )
    reader.fieldnames = header
    feeds = []
    for row in reader:
        line = reader.line_num
        url = (row.get("url") or "").strip()
        if not url:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                raise FeedListError(f"{path}: line {line}: empty url")
            continue
        feeds.append(_feed(url, row, f"{path}: line {line}"))
    return feeds


def read_opml(path: Path) -> list[Feed]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise FeedListError(f"{path}: not a readable OPML file: {exc}") from None
    feeds = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or "").strip()
        if url:
            row = {
                "outlet": node.get("title") or node.get("text"),
                "language": node.get("language"),
                "country": node.get("country"),
            }
            feeds.append(_feed(url, row, f"{path}: outline {node.get('text')!r}"))
    return feeds


def _feed(url: str, row: Mapping[str, Any], where: str) -> Feed:
    try:
        canonical_url(url)
    except UrlError as exc:
        raise FeedListError(f"{where}: {exc}") from None

    def opt(key: str) -> str | None:
        value = row.get(key)
        return value.strip() or None if isinstance(value, str) else None

    return Feed(url=url, outlet=opt("outlet"), country=opt("country"), language=opt("language"))


def _dedupe(feeds: Iterable[Feed]) -> list[Feed]:
    seen: set[str] = set()
    out = []
    for feed in feeds:
        key = canonical_url(feed.url)
        if key not in seen:
            seen.add(key)
            out.append(feed)
    return out


def write_csv(path: Path, feeds: Iterable[Feed]) -> None:
    """Write the feed list atomically (temp file + rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for f in feeds:
            writer.writerow([f.outlet or "", f.url, f.country or "", f.language or ""])
    tmp.replace(path)


def add_feeds(path: Path, new: Iterable[Feed]) -> int:
    """Add feeds to a CSV feed list; returns how many were not already there."""
    current = load_feeds(path) if path.exists() else []
    merged = _dedupe([*current, *new])
    write_csv(path, merged)
    return len(merged) - len(current)
