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

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from newsdesk_common import default_args, fail_fast, load_task

DEFAULT_ARGS = default_args(retry_delay=timedelta(minutes=1), max_retry_delay=timedelta(minutes=30))


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

    load = load_task()

    @task(pool="duckdb_writer")
    def quality(loaded: dict[str, Any]) -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import quality_checks

        start, end = window()
        with fail_fast():
            return quality_checks(Settings.from_env(), start=start, end=end, record=True)

    quality(load(archive()))


newsdesk_daily()
