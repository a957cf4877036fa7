"""Crash safety: `newsdesk run` killed with SIGKILL at seeded random points, then run again, leaves
the same warehouse as one uninterrupted pass; an analyst holding the file delays the merge only.

The passes are real child processes against the demo corpus on loopback. Kill points: during the
fetches (after N page requests), during extraction and staging (after K Parquet parts), once the
run is READY, inside the merge transaction and after its commit (the last three through the test
hook NEWSDESK_TEST_CRASH_AT, see `pipeline.warehouse.crash_point`).
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.demo import ServedCorpus, serve_corpus
from pipeline.run import merge_and_update, new_run_id, stage_pass
from pipeline.staging import READY_MARKER, discard_stale
from pipeline.warehouse import connect

SEED = int(os.environ.get("NEWSDESK_CRASH_SEED", "20250520"))
BATCH = 4  # small Parquet parts, so a kill can land between them


@dataclass(frozen=True, slots=True)
class Warehouse:
    """What must be the same after any sequence of crashes and reruns."""

    articles: frozenset[tuple[Any, ...]]  # article_id, canonical_url, text_source, content_hash
    tags: frozenset[tuple[str, str, str]]
    feeds: frozenset[tuple[str, str | None]]  # feed_url, etag


def read_warehouse(db: Path) -> Warehouse:
    with connect(db, read_only=True, wait_seconds=10) as con:
        articles = con.execute(
            "SELECT article_id, canonical_url, text_source, content_hash FROM articles"
        ).fetchall()
        tags = con.execute("SELECT article_id, kind, value FROM article_tags").fetchall()
        feeds = con.execute("SELECT feed_url, etag FROM feeds").fetchall()
    return Warehouse(frozenset(articles), frozenset(tags), frozenset(feeds))  # type: ignore[arg-type]


def integrity(db: Path) -> dict[str, int]:
    """Counts that must all be zero."""
    with connect(db, read_only=True, wait_seconds=10) as con:
        one = lambda sql: int(con.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "duplicate_urls": one("SELECT count(*) - count(DISTINCT canonical_url) FROM articles"),
            "orphan_tags": one(
                "SELECT count(*) FROM article_tags t ANTI JOIN articles a USING (article_id)"
            ),
            "duplicate_tags": one(
                "SELECT count(*) FROM (SELECT article_id, kind, value FROM article_tags"
                " GROUP BY ALL HAVING count(*) > 1)"
            ),
            "runs_not_loaded": one("SELECT count(*) FROM runs WHERE status <> 'loaded'"),
        }


@dataclass(slots=True)
class Served:
    corpus: ServedCorpus
    feeds_csv: Path
    reference: Warehouse


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Iterator[Served]:
    """The demo corpus on loopback and the warehouse of one uninterrupted pass over it."""
    tmp = tmp_path_factory.mktemp("crash-ref")
    with serve_corpus() as corpus:
        feeds_csv = tmp / "feeds.csv"
        with feeds_csv.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["outlet", "url", "country", "language"])
            writer.writerows([f.outlet, f.url, f.country, f.language] for f in corpus.feeds)
        base = Settings.from_env(env={})
        settings = replace(
            base, db_path=tmp / "ref.duckdb", data_dir=tmp / "data", write_warc=False,
            http=replace(base.http, allow_private_hosts=True, min_host_delay=0.0),
        )  # fmt: skip
        now = datetime.now(UTC)
        asyncio.run(
            stage_pass(settings, feeds=corpus.feeds, run_id=new_run_id(now), now=now, pool=pool)
        )
        merge_and_update(settings.db_path, settings.staging_dir)
        yield Served(corpus, feeds_csv, read_warehouse(settings.db_path))


def _env(tmp: Path, feeds_csv: Path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")},
        "NEWSDESK_DB": str(tmp / "crash.duckdb"),
        "NEWSDESK_DATA_DIR": str(tmp / "data"),
        "NEWSDESK_FEEDS": str(feeds_csv),
        "NEWSDESK_ALLOW_PRIVATE_HOSTS": "1",
        "NEWSDESK_MIN_HOST_DELAY": "0",
        "NEWSDESK_WORKERS": "2",
        "NEWSDESK_CONCURRENCY": "4",
        "NEWSDESK_BATCH_SIZE": str(BATCH),
        "NEWSDESK_WRITE_WARC": "0",
        "NEWSDESK_LOCK_WAIT": "10",
        **extra,
    }


def run_pass(
    env: dict[str, str], kill_when: Callable[[], bool] | None = None, timeout: float = 120
) -> tuple[int, str]:
    """`newsdesk run` in a child; SIGKILL it (and its workers) once `kill_when()` is true."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run"], env=env, cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if kill_when is not None and kill_when():
            os.killpg(proc.pid, signal.SIGKILL)  # the pass and its extraction workers at once
            break
        time.sleep(0.005)
    else:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out.decode(errors="replace")


def run_loader(env: dict[str, str]) -> tuple[int, str]:
    """Only the merge, in a child, as the Airflow load task runs it."""
    code = (
        "import os; from pathlib import Path; from pipeline.run import merge_and_update; "
        "merge_and_update(Path(os.environ['NEWSDESK_DB']), "
        "Path(os.environ['NEWSDESK_DATA_DIR']) / 'staging')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=120
    )
    return proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace")


def _staged_dirs(data: Path) -> list[Path]:
    staging = data / "staging"
    return sorted(p for p in staging.iterdir() if p.is_dir()) if staging.exists() else []


def _parts(data: Path) -> int:
    return sum(len(list(p.glob("articles-*.parquet"))) for p in _staged_dirs(data))


def test_sigkill_at_random_points_then_rerun_equals_an_uninterrupted_pass(
    served: Served, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    corpus, data = served.corpus, tmp_path / "data"
    env = _env(tmp_path, served.feeds_csv)
    db = Path(env["NEWSDESK_DB"])

    def page_requests() -> int:
        return sum(1 for _, path, _ in corpus.requests if "/articles/" in path)

    # 1. During the fetches: after a random number of page requests.
    start, after = page_requests(), rng.randint(1, 20)
    code, out = run_pass(env, lambda: page_requests() - start >= after)
    assert code == -signal.SIGKILL, out
    # 2. During extraction and staging: after a random number of Parquet parts.
    parts, more = _parts(data), rng.randint(1, 6)
    code, out = run_pass(env, lambda: _parts(data) - parts >= more)
    assert code == -signal.SIGKILL, out
    # 3. Staged and READY, killed as the merge begins.
    code, out = run_pass(_env(tmp_path, served.feeds_csv, NEWSDESK_TEST_CRASH_AT="load"))
    assert code == -signal.SIGKILL, out
    assert any((p / READY_MARKER).exists() for p in _staged_dirs(data))
    assert not db.exists() or not read_warehouse(db).articles
    # 4. The loader (the Airflow `load` task) killed inside the merge transaction, then
    # 5. after its commit, before it removed the staging: a rerun merges it again.
    for point in ("merge", "merged"):
        code, out = run_loader(_env(tmp_path, served.feeds_csv, NEWSDESK_TEST_CRASH_AT=point))
        assert code == -signal.SIGKILL, (point, out)
        assert any((p / READY_MARKER).exists() for p in _staged_dirs(data)), point
    assert read_warehouse(db).articles == served.reference.articles  # committed at step 5
    # The rerun: merges what was READY, fetches what is missing, and loses nothing.
    code, out = run_pass(env)
    assert code == 0, out
    got = read_warehouse(db)
    assert got.articles == served.reference.articles
    assert got.tags == served.reference.tags
    assert {url for url, _ in got.feeds} == {url for url, _ in served.reference.feeds}
    assert integrity(db) == dict.fromkeys(integrity(db), 0)
    # Staging left by killed runs: READY runs were merged and removed; unfinished ones
    # (killed before READY) wait out the 6 h grace for a slow live pass, then are discarded.
    remaining = _staged_dirs(data)
    assert remaining and not any((p / READY_MARKER).exists() for p in remaining)
    discard_stale(data / "staging", now=time.time() + 6 * 3600 + 60)
    assert _staged_dirs(data) == []
    # Once more: a pass over an unchanged corpus changes nothing.
    code, out = run_pass(env)
    assert code == 0, out
    assert read_warehouse(db) == got


def test_an_analyst_holding_the_file_delays_the_merge_to_the_next_pass(
    served: Served, tmp_path: Path
) -> None:
    env = _env(tmp_path, served.feeds_csv, NEWSDESK_LOCK_WAIT="1")
    db = Path(env["NEWSDESK_DB"])
    with connect(db) as con:  # the warehouse exists; an analyst holds it open
        con.execute("SELECT 1")
    # Read-only, as `duckdb -readonly` or `newsdesk query` would: the pass can still read its
    # state and stage, but the loader cannot open the file for writing.
    analyst = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; "
         "c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); "
         "time.sleep(120)", str(db)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert analyst.stdout is not None and analyst.stdout.readline().strip() == b"open"
        started = time.monotonic()
        code, out = run_pass(env)
        waited = time.monotonic() - started
    finally:
        analyst.kill()
        analyst.wait()
    assert code == 2, out
    assert "database is locked by" in out and f"(PID {analyst.pid})" in out, out
    assert "staged data is kept and merged by the next pass" in out, out
    assert waited < 60
    ready = [p for p in _staged_dirs(tmp_path / "data") if (p / READY_MARKER).exists()]
    assert len(ready) == 1  # the staged pass waits for the next one
    code, out = run_pass(env)
    assert code == 0, out
    assert read_warehouse(db).articles == served.reference.articles
    assert integrity(db) == dict.fromkeys(integrity(db), 0)
    assert _staged_dirs(tmp_path / "data") == []
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (2,)
