"""Loads and searches as history grows: a 500-article load at each warehouse size, with its parts.

    .venv/bin/python bench/scale.py [--sizes 20000 100000 300000 1000000] [--work DIR]

For each size N: a warehouse of N generated articles (bench/analysis.py's generator, the real
tagger, the real staging and merge; spread over N/2000 days, at least 60), its stories and search
index built once; then one more load of 500 new articles, timed part by part (merge, signatures,
stories, search index update), search p50/p95 over 200 mixed queries (warm), a 60-day report,
disk bytes per article (DuckDB file + search index) and the process's peak memory. The 500-article
load at each size is reported as a ratio to the load at the smallest size of the same run.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import analysis as gen  # noqa: E402  (bench/analysis.py: generator and staging)

from pipeline.analysis import refresh_search  # noqa: E402
from pipeline.analysis.report import ReportInput, build_report  # noqa: E402
from pipeline.analysis.stories import assign_stories  # noqa: E402
from pipeline.dedup import update_signatures  # noqa: E402
from pipeline.search import SearchIndex, index_path, pending_changes, search  # noqa: E402
from pipeline.warehouse import connect, merge_run, migrate, pending_runs  # noqa: E402

LOAD = 500
CHUNK = 20_000


def disk_bytes(db: Path) -> int:
    index = index_path(db)
    files = [db, *(p for p in index.rglob("*") if p.is_file())] if index.exists() else [db]
    return sum(p.stat().st_size for p in files if p.exists())


def build(db: Path, work: Path, rows: list[dict[str, Any]]) -> float:
    """The warehouse of `rows`: staged and merged in chunks, then stories and index once."""
    started = time.perf_counter()
    staging = work / "staging"
    for n in range(0, len(rows), CHUNK):
        gen.stage(rows[n : n + CHUNK], staging, f"bulk-{n:08d}")
        with connect(db) as con:
            migrate(con)
            (run,) = pending_runs(staging)
            merge_run(con, run, now=datetime.now(UTC))
            shutil.rmtree(run)
        print(f"  merged {min(n + CHUNK, len(rows))}", flush=True)
    now = datetime.now(UTC)
    with connect(db) as con:
        update_signatures(con)
        assign_stories(con, now=now)
        changes = pending_changes(con, index_path(db))
    refresh_search(db, changes, wait_seconds=60)
    return time.perf_counter() - started


def timed_load(db: Path, work: Path, rows: list[dict[str, Any]]) -> dict[str, float]:
    """One 500-article load, as `pipeline.run.merge_and_update` does it, part by part."""
    staging = work / "staging"
    gen.stage(rows, staging, "the-load")
    now = datetime.now(UTC)
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with connect(db) as con:
        (run,) = pending_runs(staging)
        merge_run(con, run, now=now)
        shutil.rmtree(run)
        t1 = time.perf_counter()
        update_signatures(con)
        t2 = time.perf_counter()
        assign_stories(con, now=now)
        t3 = time.perf_counter()
        changes = pending_changes(con, index_path(db))
    refresh_search(db, changes, wait_seconds=60)
    t4 = time.perf_counter()
    out.update(merge=t1 - t0, signatures=t2 - t1, stories=t3 - t2, index=t4 - t3, total=t4 - t0)
    return out


def search_latency(db: Path, rows: list[dict[str, Any]], n: int = 200) -> tuple[float, float]:
    words = [w for r in rows[:3000] for w in re.findall(r"[A-Za-z]{5,}", r["title"])]
    rng = random.Random(7)
    latencies = []
    with connect(db, read_only=True) as con, SearchIndex.open(index_path(db)) as index:
        search(con, index, "ceasefire")
        for i in range(n):
            q = " ".join(rng.sample(words, rng.choice([1, 2, 3])))
            kwargs: dict[str, Any] = {}
            if i % 3 == 1:
                day = (gen.START + timedelta(days=rng.randrange(30))).date()
                kwargs = {"date_from": day, "date_to": day + timedelta(days=7)}
            elif i % 3 == 2:
                kwargs = {"conflict": "Russia-Ukraine"}
            started = time.perf_counter()
            search(con, index, q, limit=10, **kwargs)
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return statistics.median(latencies), latencies[int(len(latencies) * 0.95) - 1]


def report_seconds(db: Path) -> float:
    spec = ReportInput(
        date_from=gen.START.date(),
        date_to=(gen.START + timedelta(days=59)).date(),
        conflict=None,
        generated_at=datetime.now(UTC),
        top=10,
    )
    with connect(db, read_only=True) as con:
        started = time.perf_counter()
        build_report(con, spec)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="newsdesk-scale-"))
    results = []
    for size in sorted(args.sizes):
        gen.DAYS = max(60, size // 2000)
        rows = gen.generate(size + LOAD, seed=size)
        rows.sort(key=lambda r: r["published_at"])
        history, fresh = rows[:size], rows[-LOAD:]
        folder = work / f"n{size}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        db = folder / "w.duckdb"
        print(f"building {size} articles over {gen.DAYS} days in {folder}", flush=True)
        built = build(db, folder, history)
        load = timed_load(db, folder, fresh)
        p50, p95 = search_latency(db, history)
        results.append(
            {
                "size": size, "build_s": built, **load, "p50": p50, "p95": p95,
                "report_s": report_seconds(db), "bytes": disk_bytes(db) / (size + LOAD),
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )  # fmt: skip
        print(results[-1], flush=True)
    base = results[0]["total"]
    print("\nstored | 500-article load (merge / signatures / stories / index) | vs smallest"
          " | search p50 / p95 | report 60 d | disk/article | peak RSS")  # fmt: skip
    for r in results:
        print(
            f"{r['size']:>7} | {r['total']:.2f} s ({r['merge']:.2f} / {r['signatures']:.2f} / "
            f"{r['stories']:.2f} / {r['index']:.2f}) | {r['total'] / base:.2f}x | "
            f"{r['p50']:.0f} / {r['p95']:.0f} ms | {r['report_s']:.2f} s | "
            f"{r['bytes'] / 1024:.1f} KB | {r['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
