"""Re-extract and re-tag stored articles from raw captures, with no network."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from pipeline.archive import read_captures, warc_files
from pipeline.assemble import PageJob, assemble_article
from pipeline.config import Settings
from pipeline.models import FeedItem, RunReport
from pipeline.run import merge_staged
from pipeline.staging import StagedRun
from pipeline.urls import UrlError, article_id, canonical_url
from pipeline.warehouse import LoadResult, connect

log = logging.getLogger(__name__)

_ITEM_SQL = """
SELECT article_id, url, canonical_url, feed_url, outlet, title, summary, author, published_at,
       language
FROM articles
"""


def _stored_items(settings: Settings) -> dict[str, FeedItem]:
    with connect(settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds) as con:
        rows = con.execute(_ITEM_SQL).fetchall()
    return {
        r[0]: FeedItem(
            article_id=r[0],
            url=r[1],
            canonical_url=r[2],
            feed_url=r[3],
            outlet=r[4],
            title=r[5],
            summary=r[6],
            author=r[7],
            published_at=r[8],
            language=r[9],
        )
        for r in rows
    }


def _jobs(
    items: dict[str, FeedItem], paths: list[Path], run_id: str, taxonomy: str, report: RunReport
) -> Iterator[PageJob]:
    for path in paths:
        for capture in read_captures(path):
            if capture.kind not in ("page", "other") or capture.status != 200:
                continue
            try:
                key = article_id(canonical_url(capture.url))
            except UrlError:
                continue
            item = items.get(key)
            if item is None:
                report.skip("capture_not_an_article")
                continue
            report.pages_fetched += 1
            yield PageJob(
                item=item, run_id=run_id, fetched_at=capture.fetched_at, body=capture.body,
                final_url=capture.url, status=capture.status, taxonomy_dir=taxonomy,
            )  # fmt: skip


def reprocess(
    settings: Settings,
    *,
    paths: list[Path] | None = None,
    pool: Executor,
    now: datetime | None = None,
) -> tuple[RunReport, list[LoadResult]]:
    """Extract every stored article again from its newest raw capture and merge the result."""
    now = now or datetime.now(UTC)
    run_id = f"reprocess-{now:%Y%m%dT%H%M%SZ}"
    report = RunReport(run_id=run_id)
    items = _stored_items(settings)
    staged = StagedRun(settings.staging_dir, run_id, batch_size=settings.batch_size)
    files = warc_files(paths or [settings.raw_dir])
    jobs = _jobs(items, files, run_id, str(settings.taxonomy_dir), report)
    # Bounded chunks keep memory flat however many captures there are.
    while chunk := list(islice(jobs, 64)):
        for article, outcome in pool.map(assemble_article, chunk):
            if article is None or outcome != "page":
                # A capture that no longer yields text must not overwrite what is stored.
                report.skip(f"reprocess_{outcome}")
                continue
            staged.add_article(article)
            report.articles_staged += 1
    staged.finish(report, source="reprocess", started_at=now)
    return report, merge_staged(settings, report)
