"""The demo through Airflow: serve the demo corpus on 127.0.0.1, run one DAG run of
`newsdesk_ingest` with `airflow dags test` into data/demo.duckdb, print what it stored.

Usage: .venv/bin/python scripts/airflow-demo.py [--db data/demo.duckdb]
Airflow's state goes to data/airflow-demo/ (sqlite), set up by scripts/airflow-init.sh.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pipeline.cli.read import print_summary
from pipeline.config import Settings
from pipeline.demo import serve_corpus
from pipeline.feeds import write_csv
from pipeline.warehouse import query

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "demo.duckdb")
    args = parser.parse_args()
    db: Path = args.db.resolve()
    data = db.parent / "demo"
    home = db.parent / "airflow-demo"
    for stale in (db, db.with_suffix(db.suffix + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "NEWSDESK_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        AIRFLOW_HOME=str(home),
        AIRFLOW_BIN=str(BIN / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        NEWSDESK_DB=str(db),
        NEWSDESK_DATA_DIR=str(data),
        NEWSDESK_FEEDS=str(data / "feeds.csv"),
        NEWSDESK_ALLOW_PRIVATE_HOSTS="1",
        NEWSDESK_MIN_HOST_DELAY="0.05",
        NEWSDESK_RETRIES="1",
    )
    print(f"setting up Airflow in {home} (metadata DB, pool duckdb_writer)...", flush=True)
    init = subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-init.sh")],
        env=env,
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        sys.stderr.write(init.stdout + init.stderr)
        return init.returncode
    with serve_corpus(first_port=Settings.from_env(env={}).demo_port) as corpus:
        write_csv(data / "feeds.csv", corpus.feeds)
        print(
            f"serving {len(corpus.bases)} demo outlets on 127.0.0.1 ({len(corpus.feeds)} feeds);"
            " airflow dags test newsdesk_ingest ...",
            flush=True,
        )
        started = time.monotonic()
        log = home / "demo-dags-test.log"
        with log.open("w") as out:
            run = subprocess.run(
                [str(BIN / "airflow"), "dags", "test", "newsdesk_ingest"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    print(f"DAG run finished in {time.monotonic() - started:.0f}s (log: {log})")
    with sqlite3.connect(home / "airflow.db") as con:
        (run_id,) = con.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = 'newsdesk_ingest' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        tasks = con.execute(
            "SELECT task_id, map_index, state, pool FROM task_instance"
            " WHERE dag_id = 'newsdesk_ingest' AND run_id = ? ORDER BY start_date",
            (run_id,),
        ).fetchall()
    print(f"\n{run_id}:")
    for task_id, index, state, pool in tasks:
        label = task_id if index < 0 else f"{task_id}[{index}]"
        print(f"  {label:<10} {state:<8} pool {pool}")
    if run.returncode != 0 or not db.exists():
        print(f"the DAG run failed; see {log}", file=sys.stderr)
        return 1
    _, shards = query(
        db,
        "SELECT run_id, feeds_total, feeds_ok, feeds_not_modified, feeds_error, items_new,"
        " pages_fetched, articles_inserted FROM runs ORDER BY run_id",
    )
    for row in shards:
        print(
            f"  shard {row[0]}: feeds {row[1]} (ok {row[2]}, not modified {row[3]},"
            f" with errors {row[4]}); items new {row[5]}; pages {row[6]}; inserted {row[7]}"
        )
    print_summary(db)
    rel = os.path.relpath(db, Path.cwd())
    print(
        "\nTry it yourself: point newsdesk at the demo database, then for example\n"
        f"  export NEWSDESK_DB={rel}\n"
        f"  export NEWSDESK_DATA_DIR={os.path.relpath(data, Path.cwd())}\n"
        '  .venv/bin/newsdesk search "prisoner exchange"\n'
        '  .venv/bin/newsdesk query "SELECT outlet, count(*) FROM articles GROUP BY ALL"\n'
        "  .venv/bin/newsdesk report --from 2025-05-01 --to 2025-05-31 --out report.html"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
