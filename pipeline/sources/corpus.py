"""Imported corpora: JSONL or Parquet files of articles already extracted elsewhere.

Typical inputs are news-please, Fundus or CC-NEWS extracts. Fields: `url` and `text` (required),
`title`, `published_at` (ISO 8601), `outlet`, `language`, `author`, `summary`; others are ignored.
Records are read in a stream (JSONL line by line, Parquet batch by batch), so memory stays flat
whatever the file's size; each chunk of `chunk_size` records is one unit (one staged run, merged
before the next is read). A bad record is logged with its file and line (or row) number and
counted, never fatal. Identity is the canonical URL, so importing a file again adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.models import FeedItem
from pipeline.sources.base import Counted, Event, Found, SourceEnv, SourceError, Unit
from pipeline.urls import UrlError, article_id, canonical_url

log = logging.getLogger(__name__)

FIELDS = ("url", "text", "title", "published_at", "outlet", "language", "author", "summary")
CHUNK_SIZE = 5_000
_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".parquet")


class BadRecord(ValueError):
    """One record cannot be imported; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One imported article, checked."""

    item: FeedItem
    text: str


def check_files(paths: Sequence[Path]) -> list[Path]:
    """The files to import, each existing and of a known format; else a SourceError naming it."""
    out: list[Path] = []
    for path in paths:
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        if not path.name.endswith(_SUFFIXES):
            raise SourceError(f"{path}: expected JSONL (.jsonl, .ndjson) or Parquet (.parquet)")
        out.append(path)
    return out


def _text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{field} is not a string")
    value = value.strip()
    return value or None


def _when(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadRecord(f"published_at {value!r} is not an ISO 8601 date") from None
    else:
        raise BadRecord("published_at is not a date")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def to_record(raw: dict[str, Any], *, feed_url: str) -> Record:
    """Check one raw record and build its item; raises BadRecord."""
    url, text = _text(raw.get("url"), "url"), _text(raw.get("text"), "text")
    if url is None:
        raise BadRecord("no url")
    if text is None:
        raise BadRecord("no text")
    try:
        canonical = canonical_url(url)
    except UrlError as exc:
        raise BadRecord(str(exc)) from None
    item = FeedItem(
        article_id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        feed_url=feed_url,
        outlet=_text(raw.get("outlet"), "outlet"),
        title=_text(raw.get("title"), "title"),
        summary=_text(raw.get("summary"), "summary"),
        author=_text(raw.get("author"), "author"),
        published_at=_when(raw.get("published_at")),
        language=(_text(raw.get("language"), "language") or "").lower()[:8] or None,
    )
    return Record(item=item, text=text)


def read_raw(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line or row number, the raw record or why it is unreadable), streaming."""
    if path.name.endswith(".parquet"):
        yield from _read_parquet(path)
        return
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, f"not JSON ({exc.msg})"
                continue
            yield n, obj if isinstance(obj, dict) else "not a JSON object"


def _read_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise SourceError(f"{path}: not a readable Parquet file ({exc})") from None
    columns = [c for c in FIELDS if c in parquet.schema_arrow.names]
    if "url" not in columns or "text" not in columns:
        raise SourceError(f"{path}: Parquet file needs `url` and `text` columns")
    n = 0
    for batch in parquet.iter_batches(batch_size=1000, columns=columns):
        for row in batch.to_pylist():
            n += 1
            yield n, row


class CorpusSource:
    """One unit per `chunk_size` records of each file; already stored articles are skipped."""

    name = "import"
    revisit = False

    def __init__(self, paths: Sequence[Path], *, chunk_size: int = CHUNK_SIZE) -> None:
        self.paths = check_files(paths)
        self.chunk_size = max(1, chunk_size)

    def http_config(self, settings: Settings) -> None:
        return None

    async def units(self, env: SourceEnv) -> AsyncIterator[Unit | Counted]:
        for path in self.paths:
            key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
            records = read_raw(path)
            chunk = 0
            while True:
                head = next(records, None)
                if head is None:
                    break
                yield Unit(
                    run_id=f"import-{key}-{chunk:05d}",
                    label=f"{path.name} #{chunk}",
                    events=self._chunk(path, head, records),
                )
                chunk += 1

    async def _chunk(
        self,
        path: Path,
        head: tuple[int, dict[str, Any] | str],
        records: Iterator[tuple[int, dict[str, Any] | str]],
    ) -> AsyncIterator[Event]:
        feed_url = f"import:{path.name}"
        taken = 0
        current: tuple[int, dict[str, Any] | str] | None = head
        while current is not None:
            n, raw = current
            try:
                if isinstance(raw, str):
                    raise BadRecord(raw)
                record = to_record(raw, feed_url=feed_url)
            except BadRecord as exc:
                log.warning("%s:%d: %s; skipped", path, n, exc)
                yield Counted(name="import_bad_record")
            else:
                yield Found(item=record.item, text=record.text)
            taken += 1
            current = next(records, None) if taken < self.chunk_size else None
