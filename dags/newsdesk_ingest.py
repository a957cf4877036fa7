"""newsdesk_ingest: poll the feed list, fetch+extract+tag in parallel shards, merge once.

plan -> stage (one mapped task per shard) -> load (pool `duckdb_writer`, emits the warehouse
asset) -> quality (the 24 hours before the check, logged, not recorded). Every task builds
`Settings` from the same `NEWSDESK_*` environment as the CLI and calls one `pipeline.tasks`
function.
Schedule: `NEWSDESK_INGEST_SCHEDULE` (cron, default every 30 minutes; `off` for manual only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from pipeline.tasks import ingest_schedule

WAREHOUSE = Asset(name="newsdesk_warehouse", uri="x-newsdesk://warehouse/articles")
MAX_PARALLEL_SHARDS = 4

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsdesk",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@contextmanager
def fail_fast() -> Iterator[None]:
    """Bad settings or an unreadable feed list fail the task at once: a retry cannot fix them."""
    from pipeline.tasks import deterministic_errors

    try:
        yield
    except deterministic_errors() as exc:
        raise AirflowFailException(str(exc)) from exc


@dag(
    dag_id="newsdesk_ingest",
    schedule=ingest_schedule(),
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,  # a feed shows what is new now; past polls cannot be replayed
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=DEFAULT_ARGS,
    tags=["newsdesk"],
    doc_md=__doc__,
)
def newsdesk_ingest() -> None:
    @task(retries=1)
    def plan() -> list[dict[str, Any]]:
        from pipeline.config import Settings
        from pipeline.tasks import ingest_shards, newsdesk_run_id, plan_shards

        run_id = newsdesk_run_id("ingest", get_current_context()["run_id"])
        with fail_fast():
            return plan_shards(Settings.from_env(), run_id=run_id, shards=ingest_shards())

    @task(
        max_active_tis_per_dag=MAX_PARALLEL_SHARDS,
        execution_timeout=timedelta(minutes=45),
        map_index_template="{{ shard_label }}",
    )
    def stage(shard: dict[str, Any]) -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import stage_shard

        context = get_current_context()
        context["shard_label"] = f"shard {shard['shard']}: {shard['feeds']} feeds"
        now = context["dag_run"].run_after
        with fail_fast():
            return stage_shard(Settings.from_env(), shard=shard, now=now)

    # none_failed: with an empty feed list nothing is staged, but leftovers still get merged.
    @task(pool="duckdb_writer", outlets=[WAREHOUSE], trigger_rule=TriggerRule.NONE_FAILED)
    def load(staged: list[dict[str, Any]]) -> dict[str, Any]:
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
        from pipeline.tasks import quality_checks, trailing_window

        # The day before this check, which includes the fetches of this run.
        start, end = trailing_window(datetime.now(UTC))
        with fail_fast():
            return quality_checks(Settings.from_env(), start=start, end=end, record=False)

    quality(load(stage.expand(shard=plan())))


newsdesk_ingest()
