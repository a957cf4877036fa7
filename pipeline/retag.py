"""Re-tag stored articles whose tagger version differs from the current one, with no network."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.assemble import tag_text
from pipeline.config import Settings
from pipeline.models import Article, RunReport
from pipeline.run import merge_staged
from pipeline.staging import StagedRun
from pipeline.tagging import get_tagger
from pipeline.warehouse import LoadResult, connect

_COLUMNS = (
    "article_id, url, canonical_url, feed_url, outlet, title, author, published_at, fetched_at,"
    " language, text, summary, word_count, content_hash, text_source, run_id, sitename,"
    " http_status, page_error, page_retry"
)


def retag(
    settings: Settings, *, force: bool = False, now: datetime | None = None
) -> tuple[RunReport, list[LoadResult]]:
    """Tag again every article stored by another tagger version (all of them with `force`)."""
    now = now or datetime.now(UTC)
    taxonomy = str(settings.taxonomy_dir)
    version = get_tagger(taxonomy).version
    run_id = f"retag-{now:%Y%m%dT%H%M%SZ}"
    report = RunReport(run_id=run_id)
    staged = StagedRun(settings.staging_dir, run_id, batch_size=settings.batch_size)
    sql = f"SELECT {_COLUMNS} FROM articles"
    if not force:
        sql += " WHERE tagger_version IS DISTINCT FROM ?"
    with connect(settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds) as con:
        cursor = con.execute(sql, [] if force else [version])
        names = [d[0] for d in cursor.description or []]
        while rows := cursor.fetchmany(1000):
            for row in rows:
                fields = dict(zip(names, row, strict=True))
                fields["tagging"] = tag_text(
                    fields["title"], fields["text"], fields["language"], taxonomy
                )
                # The row keeps the run that fetched it; only the tags and verdict change.
                staged.add_article(Article(**fields))
                report.articles_staged += 1
    staged.finish(report, source="retag", started_at=now)
    return report, merge_staged(settings, report)
