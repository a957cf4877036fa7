"""newsdesk_ingest: poll the feed list, fetch+extract+tag in parallel shards, merge once.

plan -> stage (one mapped task per shard) -> load (pool `duckdb_writer`, emits the warehouse
asset) -> quality (the 24 hours before the check, logged, not recorded). Every task builds
`Settings` from the same `NEWSDESK_*` environment as the CLI and calls one `pipeline.tasks`
function.
Schedule: `NEWSDESK_INGEST_SCHEDULE` (cron, default every 30 minutes; `off` for manual only).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import TriggerRule, dag, get_current_context, task
from newsdesk_common import default_args, fail_fast, load_task

from pipeline.tasks import ingest_schedule

MAX_PARALLEL_SHARDS = 4
DEFAULT_ARGS = default_args(
    retry_delay=timedelta(seconds=30), max_retry_delay=timedelta(minutes=10)
)


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
    load = load_task(trigger_rule=TriggerRule.NONE_FAILED)

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
