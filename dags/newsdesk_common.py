"""What both newsdesk DAGs share: the warehouse asset, default args, fail-fast, the load task.

Not a DAG file (listed in .airflowignore): the DAG files import it as Airflow's DAG processor
runs them, with this folder on `sys.path`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

WAREHOUSE = Asset(name="newsdesk_warehouse", uri="x-newsdesk://warehouse/articles")


def default_args(*, retry_delay: timedelta, max_retry_delay: timedelta) -> dict[str, Any]:
    """Retries with exponential backoff; a deterministic failure skips them (`fail_fast`)."""
    return {
        "owner": "newsdesk",
        "retries": 3,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": max_retry_delay,
    }


@contextmanager
def fail_fast() -> Iterator[None]:
    """Bad settings or an unreadable feed list fail the task at once: a retry cannot fix them."""
    from pipeline.tasks import deterministic_errors

    try:
        yield
    except deterministic_errors() as exc:
        raise AirflowFailException(str(exc)) from exc


def load_task(*, trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS) -> Callable[..., Any]:
    """The single writer: merge every staged run (pool `duckdb_writer`), emit the asset."""

    @task(task_id="load", pool="duckdb_writer", outlets=[WAREHOUSE], trigger_rule=trigger_rule)
    def load(upstream: Any) -> dict[str, Any]:
        from pipeline.config import Settings
        from pipeline.tasks import load as load_staged_runs

        with fail_fast():
            result = load_staged_runs(Settings.from_env())
        extra = {k: result[k] for k in ("inserted", "updated", "tags")}
        get_current_context()["outlet_events"][WAREHOUSE].extra = extra
        return result

    return load
