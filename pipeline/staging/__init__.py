"""Stage a run's records as Parquet under `staging/<run_id>/` for the single-writer loader.

The Parquet schemas and writer live in `parquet.py`, imported when a run writes: reading the
markers (`READY`, stale runs) and the CLI stay free of pyarrow.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeline.models import Article, Feed, FeedFetch, RunReport

log = logging.getLogger(__name__)

READY_MARKER = "READY"  # written last: the run is complete and may be merged
STALE_STAGING_SECONDS = 6 * 3600


def discard_stale(staging_dir: Path, *, now: float | None = None) -> list[Path]:
    """Remove staging left by passes killed before they finished (no READY, untouched for 6 h)."""
    if not staging_dir.exists():
        return []
    cutoff = (now if now is not None else time.time()) - STALE_STAGING_SECONDS
    stale = [
        p
        for p in staging_dir.iterdir()
        if p.is_dir()
        and not (p / READY_MARKER).exists()
        and max((f.stat().st_mtime for f in p.iterdir()), default=p.stat().st_mtime) < cutoff
    ]
    for path in stale:
        log.warning("discarding unfinished staging of a killed pass: %s", path)
        shutil.rmtree(path, ignore_errors=True)
    return stale


def pending_runs(staging_dir: Path) -> list[Path]:
    """Staged runs that finished staging (READY) but were not merged yet, oldest first."""
    if not staging_dir.exists():
        return []
    ready = [p for p in staging_dir.iterdir() if (p / READY_MARKER).exists()]
    return sorted(ready, key=lambda p: (p / READY_MARKER).stat().st_mtime)


def _article_row(a: Article) -> dict[str, Any]:
    tagging = a.tagging
    return {
        "article_id": a.article_id,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "feed_url": a.feed_url,
        "outlet": a.outlet,
        "title": a.title,
        "author": a.author,
        "published_at": a.published_at,
        "fetched_at": a.fetched_at,
        "language": a.language,
        "text": a.text,
        "summary": a.summary,
        "word_count": a.word_count,
        "content_hash": a.content_hash,
        "text_source": a.text_source,
        "run_id": a.run_id,
        "sitename": a.sitename,
        "http_status": a.http_status,
        "page_error": a.page_error,
        "page_retry": a.page_retry,
        "is_conflict": tagging.is_conflict if tagging else None,
        "conflict_score": tagging.score if tagging else None,
        "tagger_version": tagging.version if tagging else None,
        "date_source": a.date_source,
        "date_confidence": a.date_confidence,
    }


class StagedRun:
    """Buffers records and writes them as numbered Parquet parts; `finish` marks the run READY."""

    def __init__(self, staging_dir: Path, run_id: str, *, batch_size: int = 500) -> None:
        self.run_id = run_id
        self.path = staging_dir / run_id
        self.batch_size = batch_size
        self._articles: list[dict[str, Any]] = []
        self._tags: list[dict[str, Any]] = []
        self._fetches: list[dict[str, Any]] = []
        self._coverage: list[dict[str, Any]] | None = None  # only backfill runs stage coverage
        self._checkpoints: list[dict[str, Any]] = []
        self._part = 0
        self.articles_written = 0
        # A killed attempt of the same run left partial parts: they are rewritten from scratch.
        if self.path.exists():
            for leftover in self.path.iterdir():
                leftover.unlink()
        self.path.mkdir(parents=True, exist_ok=True)

    def add_article(self, article: Article) -> None:
        self._articles.append(_article_row(article))
        if article.tagging is not None:
            for kind, value, code, score, evidence in article.tagging.rows:
                self._tags.append(
                    {
                        "article_id": article.article_id,
                        "kind": kind,
                        "value": value,
                        "code": code,
                        "score": score,
                        "evidence": evidence,
                    }
                )
        if len(self._articles) >= self.batch_size:
            self.flush()

    def add_fetch(self, fetch: FeedFetch, feed: Feed) -> None:
        row = asdict(fetch)
        row.update(outlet=feed.outlet, country=feed.country, language=feed.language)
        self._fetches.append(row)

    def forget_validators(self) -> None:
        """Stage this run's feed fetches without ETag/Last-Modified: the next poll is full."""
        for row in self._fetches:
            row["etag"] = None
            row["last_modified"] = None

    def add_coverage_item(
        self, *, day: date, outlet: str, source: str, article_id: str, url: str
    ) -> None:
        """An item an archive source found, filed under its day."""
        self._coverage_rows().append(
            {"day": day, "outlet": outlet, "source": source, "article_id": article_id,
             "url": url, "captures": None, "errors": None}
        )  # fmt: skip

    def add_coverage_day(
        self, *, day: date, outlet: str, source: str, captures: int, errors: int
    ) -> None:
        """A day this run covered for an outlet, even when it found nothing."""
        self._coverage_rows().append(
            {"day": day, "outlet": outlet, "source": source, "article_id": None, "url": None,
             "captures": captures, "errors": errors}
        )  # fmt: skip

    def add_checkpoint(self, *, source: str, unit: str, day: date) -> None:
        """A unit of work done; recorded in the warehouse by the merge that stores its data."""
        self._coverage_rows()
        self._checkpoints.append(
            {"source": source, "unit": unit, "day": day, "run_id": self.run_id}
        )

    def _coverage_rows(self) -> list[dict[str, Any]]:
        if self._coverage is None:
            self._coverage = []
        return self._coverage

    def flush(self) -> None:
        """Write buffered articles and tags as the next part (also when empty, once)."""
        from pipeline.staging import parquet

        if not self._articles and self._part > 0:
            return
        name = f"{self._part:05d}.parquet"
        parquet.write(self.path / f"articles-{name}", self._articles, parquet.ARTICLE_SCHEMA)
        parquet.write(self.path / f"tags-{name}", self._tags, parquet.TAG_SCHEMA)
        self.articles_written += len(self._articles)
        self._articles, self._tags = [], []
        self._part += 1

    def finish(self, report: RunReport, *, source: str, started_at: datetime) -> Path:
        from pipeline.staging import parquet

        self.flush()
        parquet.write(self.path / "fetches.parquet", self._fetches, parquet.FETCH_SCHEMA)
        if self._coverage is not None:
            parquet.write(
                self.path / "checkpoints.parquet", self._checkpoints, parquet.CHECKPOINT_SCHEMA
            )
            parquet.write(self.path / "coverage.parquet", self._coverage, parquet.COVERAGE_SCHEMA)
        meta = {
            "run_id": self.run_id,
            "source": source,
            "started_at": started_at.isoformat(),
            "report": report.as_dict(),
        }
        _atomic_text(self.path / "run.json", json.dumps(meta, indent=2, default=str))
        _atomic_text(self.path / READY_MARKER, self.run_id)
        return self.path


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
