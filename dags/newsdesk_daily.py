"""newsdesk_daily: one run per day-long data interval, scheduled or backfilled.

archive (fill the window from the archive sources in NEWSDESK_BACKFILL_SOURCES, e.g.
`wayback,sitemap`: `newsdesk backfill` for that day, staged only; none by default) -> load (pool
`duckdb_writer`: merges the staged runs, their `coverage_days` rows and resume checkpoints;
emits the warehouse asset) -> quality (recorded in `quality_checks`).
The window is read only from data_interval_start/end: a scheduled or backfill run for day D
covers [D 00:00, D+1 00:00) UTC and starts when that day is over; a manual run (and
`airflow dags test newsdesk_daily D`) covers the last complete day before D.
Backfill days A..B inclusive: `airflow backfill create --dag-id newsdesk_daily --from-date A
--to-date B`: each day's archive task reads that day from the archives; a retried or repeated
day skips what an earlier attempt already merged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, CronDataIntervalTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

WAREHOUSE = Asset(name="newsdesk_warehouse", uri="x-newsdesk://warehouse/articles")

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsdesk",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}


@contextmanager
def fail_fast() -> Iterator[None]:
    """Bad settings or an unreadable feed list fail the task at once: a retry cannot fix them."""
    from pipeline.tasks import deterministic_errors

    try:
        yield
    except deterministic_errors() as exc:
        raise AirflowFailException(str(exc)) from exc


def window() -> tuple[datetime, datetime]:
    context = get_current_context()
    start, end = context["data_interval_start"], context["data_interval_end"]
    if start is None or end is None or end <= start:
        raise AirflowFailException(f"newsdesk_daily needs a day-long data interval: {start}..{end}")
    return start, end


@dag(
    dag_id="newsdesk_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2015, 1, 1, tzinfo=UTC),
    catchup=False,  # past days are filled on purpose, with `airflow backfill create`
    max_active_runs=4,
    dagrun_timeout=timedelta(hours=6),
    default_args=DEFAULT_ARGS,
    tags=["newsdesk"],
    doc_md=__doc__,
)
def newsdesk_daily() -> None:
    @task
    def archive() -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import daily_archive

        start, end = window()
        with fail_fast():
            return daily_archive(Settings.from_env(), start=start, end=end)

    @task(pool="duckdb_writer", outlets=[WAREHOUSE])
    def load(archived: dict[str, Any]) -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import load as load_staged_runs

        with fail_fast():
            result = load_staged_runs(Settings.from_env())
        extra = {k: result[k] for k in ("inserted", "updated", "tags")}
        get_current_context()["outlet_events"][WAREHOUSE].extra = extra
        return result

    @task(pool="duckdb_writer")
    def quality(loaded: dict[str, Any]) -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import quality_checks

        start, end = window()
        with fail_fast():
            return quality_checks(Settings.from_env(), start=start, end=end, record=True)

    quality(load(archive()))


newsdesk_daily()
