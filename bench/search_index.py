"""Benchmark the incremental search index (pipeline/search) against the history it grows over.

Corpus: the analysis benchmark's generator (bench/analysis.py: English news prose, 30 outlets,
60 days, conflict and other news), in chunks with their own seeds; conflict tags from the
generator's actors. The warehouse is real (migrations + Arrow insert of `articles` and
`article_tags`); the index is built from it by `pipeline.search.rebuild` in a child process
(time and peak memory), then at each size:

- loads: 5 loads of 500 new articles and 2 of 1,000 (half new, half updated), each a real
  cycle: merge into DuckDB, `read_changes` (the part that holds DuckDB), open the index
  writable, upsert, commit, close (waits for Tantivy's merges);
- search: 200 mixed queries (1-3 title words; a third filtered by a week, a third by conflict),
  warm, end to end (index + the hits' warehouse rows + snippets) and index only;
- `search_score` over every article in ad hoc SQL;
- disk bytes per article of the index and of the warehouse.

`--fts5` also measures SQLite FTS5 (contentless, porter + unicode61) on the same corpus.

    .venv/bin/python bench/search_index.py [--sizes 100000,300000,1000000] [--fts5 300000]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import analysis as gen  # noqa: E402

from pipeline.search import (  # noqa: E402
    SearchIndex,
    apply_changes,
    index_path,
    read_changes,
    register_sql_functions,
    search,
)

gen.sentence_bank = functools.cache(gen.sentence_bank)  # type: ignore[method-assign]
CHUNK = 50_000
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def conflicts_by_actor() -> dict[str, list[str]]:
    names = {c["id"]: c["name"] for c in gen._read("conflicts.csv")}
    out: dict[str, list[str]] = {}
    for a in gen._read("actors.csv"):
        ids = [c for c in a["conflicts"].split("|") if c in names]
        out[a["name"]] = [v for c in ids for v in (names[c], c)]
    return out


@functools.lru_cache(maxsize=2)
def _chunk(chunk: int) -> list[dict[str, Any]]:
    return gen.generate(CHUNK, seed=1000 + chunk)


def corpus(start: int, stop: int) -> Iterator[dict[str, Any]]:
    """Generated articles number `start` to `stop` (chunks of CHUNK, one seed each)."""
    actors = conflicts_by_actor()
    for chunk in range(start // CHUNK, (stop + CHUNK - 1) // CHUNK):
        for n, r in enumerate(_chunk(chunk)):
            i = chunk * CHUNK + n
            if start <= i < stop:
                who = r["title"].split(":", 1)[0]
                yield {**r, "id": f"{i:09d}", "conflicts": actors.get(who, [])}


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS bench_done (x INTEGER)")
    if con.execute("SELECT count(*) FROM bench_done").fetchone() != (0,):
        return
    for f in sorted((ROOT / "sql" / "migrations").glob("*.sql")):
        con.execute(f.read_text(encoding="utf-8"))
    con.execute("INSERT INTO bench_done VALUES (1)")


def insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Merge rows into `articles` and replace their conflict tags (what a load's merge does)."""
    # Hex ids with random prefixes, like sha256(canonical URL)[:32].
    ids = [hashlib.md5(r["id"].encode()).hexdigest() for r in rows]
    n = len(rows)
    articles = pa.table(
        {
            "article_id": ids,
            "url": [f"https://o{r['outlet'][-2:]}.example/{r['id']}" for r in rows],
            "canonical_url": [f"https://o{r['outlet'][-2:]}.example/{r['id']}" for r in rows],
            "outlet": [r["outlet"] for r in rows],
            "title": [r["title"] for r in rows],
            "published_at": pa.array([r["published_at"] for r in rows], pa.timestamp("us", "UTC")),
            "fetched_at": pa.array([r["published_at"] for r in rows], pa.timestamp("us", "UTC")),
            "language": ["en"] * n,
            "text": [r["text"] for r in rows],
            "word_count": [len(r["text"].split()) for r in rows],
            "content_hash": [str(hash(r["text"])) for r in rows],
            "text_source": ["page"] * n,
            "run_id": ["bench"] * n,
            "first_seen_at": pa.array([now] * n, pa.timestamp("us", "UTC")),
            "updated_at": pa.array([now] * n, pa.timestamp("us", "UTC")),
        }
    )
    tags = pa.table(
        {
            "article_id": [i for i, r in zip(ids, rows, strict=True) for _ in r["conflicts"][::2]],
            "kind": ["conflict" for r in rows for _ in r["conflicts"][::2]],
            "value": [v for r in rows for v in r["conflicts"][::2]],
            "code": [v for r in rows for v in r["conflicts"][1::2]],
            "score": [1.0 for r in rows for _ in r["conflicts"][::2]],
        }
    )
    con.register("new_articles", articles)
    con.register("new_tags", tags)
    con.execute(
        "INSERT INTO articles BY NAME SELECT * FROM new_articles ON CONFLICT (article_id)"
        " DO UPDATE SET text = excluded.text, title = excluded.title,"
        " updated_at = excluded.updated_at"
    )
    con.execute(
        "DELETE FROM article_tags WHERE article_id IN (SELECT article_id FROM new_articles)"
    )
    con.execute("INSERT INTO article_tags BY NAME SELECT * FROM new_tags")
    con.unregister("new_articles")
    con.unregister("new_tags")


def grow(db: Path, start: int, stop: int) -> float:
    started = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        migrate(con)
        batch: list[dict[str, Any]] = []
        for r in corpus(start, stop):
            batch.append(r)
            if len(batch) == 10_000:
                insert(con, batch, now=NOW)
                batch = []
        if batch:
            insert(con, batch, now=NOW)
        con.execute("CHECKPOINT")
    return time.perf_counter() - started


# The rebuild runs in a child that imports only what `newsdesk index rebuild` would (peak RSS
# is then the rebuild's own, not the generator's).
CHILD_REBUILD = """
import json, sys, time, duckdb
from pathlib import Path
from pipeline.search import SearchIndex, index_path, rebuild
db = Path(sys.argv[1])
started = time.perf_counter()
with duckdb.connect(str(db), read_only=True) as con:
    with SearchIndex.open(index_path(db), writable=True) as index:
        update = rebuild(con, index)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) forking parent.
status = Path("/proc/self/status").read_text()
peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps({"n": update.indexed, "s": time.perf_counter() - started, "peak": peak}))
"""


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def load_cycle(db: Path, rows: list[dict[str, Any]], *, now: datetime) -> dict[str, float]:
    """One load: merge, read changes (DuckDB held), then index outside DuckDB."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    with duckdb.connect(str(db)) as con:
        insert(con, rows, now=now)
        t1 = time.perf_counter()
        with SearchIndex.open(index_path(db), writable=False) as idx:
            since = idx.watermark()
        changes = read_changes(con, since=since)
        t2 = time.perf_counter()
    # Closing DuckDB checkpoints the merge: the load's cost, before the index's part.
    out["read_s"], out["checkpoint_s"] = t2 - t1, time.perf_counter() - t2
    t2 = time.perf_counter()
    assert len(changes.docs) == len(rows), (len(changes.docs), len(rows))
    with SearchIndex.open(index_path(db), writable=True) as index:
        t3 = time.perf_counter()
        apply_changes(index, changes)
        t4 = time.perf_counter()
    t5 = time.perf_counter()
    out["merge_s"] = t1 - t0
    out["upsert_commit_s"], out["close_s"], out["index_s"] = t4 - t3, t5 - t4, t5 - t2
    return out


def queries(n: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    rows = list(corpus(0, 2000))
    words = [w for r in rows for w in re.findall(r"[A-Za-z]{5,}", r["title"])]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        q = " ".join(rng.sample(words, rng.choice([1, 2, 3])))
        kwargs: dict[str, Any] = {}
        if i % 3 == 1:
            day = (gen.START + timedelta(days=rng.randrange(gen.DAYS - 7))).date()
            kwargs = {"date_from": day, "date_to": day + timedelta(days=7)}
        elif i % 3 == 2:
            kwargs = {"conflict": "Russia-Ukraine"}
        out.append((q, kwargs))
    return out


def pcts(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[max(0, int(len(values) * 0.95) - 1)]
    return f"p50 {statistics.median(values):.0f} / p95 {p95:.0f} ms"


def measure_search(db: Path, qs: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    with duckdb.connect(str(db), read_only=True) as con, SearchIndex.open(index_path(db)) as index:
        search(con, index, "ceasefire")  # warm: first use maps the files
        full, idx_only = [], []
        for q, kw in qs:
            t0 = time.perf_counter()
            index.search(q, **kw)
            t1 = time.perf_counter()
            search(con, index, q, **kw)
            t2 = time.perf_counter()
            idx_only.append((t1 - t0) * 1000)
            full.append((t2 - t1) * 1000)
        out["search (index only)"] = pcts(idx_only)
        out["search (end to end)"] = pcts(full)
        register_sql_functions(con, index)
        sql_times = []
        for q in ("ceasefire", "shelling strikes", "Istanbul talks"):
            t0 = time.perf_counter()
            con.execute(
                "SELECT article_id, search_score(article_id, ?) AS s FROM articles"
                " WHERE s IS NOT NULL ORDER BY s DESC LIMIT 10",
                [q],
            ).fetchall()
            sql_times.append(time.perf_counter() - t0)
        out["search_score over all articles (3 queries)"] = (
            " / ".join(f"{t:.2f}" for t in sql_times) + " s"
        )
    return out


def fts5(rows_at: int, qs: list[tuple[str, dict[str, Any]]], work: Path) -> dict[str, str]:
    """SQLite FTS5 on the same corpus: build rate, a 500-article add, search, size."""
    path = work / "fts5.sqlite"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute(
        "CREATE VIRTUAL TABLE f USING fts5(title, body, content='',"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    con.execute("CREATE TABLE d (rowid INTEGER PRIMARY KEY, article_id TEXT, day INT)")
    con.execute("CREATE TABLE c (rowid INT, conflict TEXT)")
    con.execute("CREATE INDEX c_conflict ON c (conflict, rowid)")

    def add(rows: list[dict[str, Any]]) -> None:
        for r in rows:
            n = int(r["id"])
            con.execute(
                "INSERT INTO f (rowid, title, body) VALUES (?, ?, ?)", (n, r["title"], r["text"])
            )
            day = (r["published_at"].date() - date(1970, 1, 1)).days
            con.execute("INSERT INTO d VALUES (?, ?, ?)", (n, f"{n:032x}", day))
            con.executemany("INSERT INTO c VALUES (?, ?)", [(n, v.lower()) for v in r["conflicts"]])
        con.commit()

    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for r in corpus(0, rows_at):
        batch.append(r)
        if len(batch) == 10_000:
            add(batch)
            batch = []
    add(batch)
    build = time.perf_counter() - started
    extra = list(corpus(rows_at, rows_at + 500))
    t0 = time.perf_counter()
    add(extra)
    add_s = time.perf_counter() - t0
    lat = []
    for q, kw in qs:
        match = " OR ".join(f'"{w}"' for w in q.split())
        where, params = ["f MATCH ?"], [match]
        if "date_from" in kw:
            where.append("d.day BETWEEN ? AND ?")
            params += [
                (kw["date_from"] - date(1970, 1, 1)).days,
                (kw["date_to"] - date(1970, 1, 1)).days,
            ]
        if "conflict" in kw:
            where.append("f.rowid IN (SELECT rowid FROM c WHERE conflict = ?)")
            params.append(kw["conflict"].lower())
        t0 = time.perf_counter()
        con.execute(
            "SELECT d.article_id, bm25(f) AS s FROM f JOIN d ON d.rowid = f.rowid"
            f" WHERE {' AND '.join(where)} ORDER BY s LIMIT 10",
            params,
        ).fetchall()
        lat.append((time.perf_counter() - t0) * 1000)
    con.close()
    size = path.stat().st_size
    return {
        f"FTS5 build {rows_at}": f"{build:.0f} s ({rows_at / build:.0f} articles/s)",
        "FTS5 add 500": f"{add_s:.2f} s",
        "FTS5 search (index only)": pcts(lat),
        "FTS5 disk per article": f"{size / (rows_at + 500):.0f} B",
    }


def duckdb_partitioned(
    db: Path, parts: int, qs: list[tuple[str, dict[str, Any]]]
) -> dict[str, str]:
    """DuckDB fts over time partitions: rebuild the newest partition, search all of them."""
    import duckdb_extension_fts  # type: ignore[import-untyped]

    ext = Path(duckdb_extension_fts.__file__).parent / "extensions"
    ext = ext / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    with duckdb.connect(str(db)) as con:
        con.execute(f"LOAD '{ext}'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET VARIABLE parts = ?", [parts])
        con.execute(
            "CREATE OR REPLACE TEMP TABLE part_of AS SELECT article_id, ntile(getvariable('parts'))"
            " OVER (ORDER BY coalesce(published_at, first_seen_at), article_id) - 1 AS p"
            " FROM articles"
        )
        builds = []
        for k in range(parts):
            con.execute(
                f"CREATE OR REPLACE TABLE part_{k} AS SELECT a.article_id, a.title, a.text"
                f" FROM articles a JOIN part_of USING (article_id) WHERE p = {k}"
            )
            t0 = time.perf_counter()
            con.execute(
                f"PRAGMA create_fts_index('part_{k}', 'article_id', 'title', 'text',"
                " overwrite = 1, stemmer = 'porter', stopwords = 'english', strip_accents = 1)"
            )
            builds.append(time.perf_counter() - t0)
        union = " UNION ALL ".join(
            f"SELECT article_id, fts_main_part_{k}.match_bm25(article_id, $q) AS s FROM part_{k}"
            for k in range(parts)
        )
        lat = []
        for q, _ in qs:
            t0 = time.perf_counter()
            con.execute(
                f"SELECT article_id, s FROM ({union}) WHERE s IS NOT NULL ORDER BY s DESC LIMIT 10",
                {"q": q},
            ).fetchall()
            lat.append((time.perf_counter() - t0) * 1000)
        for k in range(parts):
            con.execute(f"DROP TABLE part_{k}")
            con.execute(f"DROP SCHEMA fts_main_part_{k} CASCADE")
    return {
        f"DuckDB fts, {parts} partitions: rebuild one": _range(builds),
        f"DuckDB fts, {parts} partitions: search (no filters)": pcts(lat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,300000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--fts5", type=int, default=0, help="also FTS5 at this many articles")
    parser.add_argument("--duckdb-parts", type=int, default=0, help="time partitions to try")
    parser.add_argument("--fts5-queries", type=int, default=60, help="FTS5 is slow: fewer")
    parser.add_argument("--child-rebuild", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--load-ids", type=int, default=10_000_000, help="first id of loads")
    parser.add_argument("--have", type=int, default=0, help="articles --work already holds")
    parser.add_argument("--work", type=Path, help="warehouse directory (default: a temp dir)")
    args = parser.parse_args()
    if args.child_rebuild:  # older runs of this script start their child this way
        sys.argv = [sys.argv[0], str(args.child_rebuild)]
        exec(CHILD_REBUILD)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="newsdesk-search-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    qs = queries(args.queries)
    table: list[tuple[str, str, str]] = []
    have = args.have
    extra = args.load_ids  # ids of load articles: beyond any size
    for size in (int(s) for s in args.sizes.split(",")):
        if size > have:
            t = grow(db, have, size)
            print(f"warehouse {have} -> {size}: {t:.0f} s", flush=True)
            have = size
        shutil.rmtree(index_path(db), ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD_REBUILD, str(db)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        built = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  rebuild: {built}", flush=True)
        with duckdb.connect(str(db), read_only=True) as con:
            latest = con.execute("SELECT max(updated_at) FROM articles").fetchone()[0]  # type: ignore[index]
        row = [
            ("rebuild from warehouse", f"{built['s']:.0f} s"
             f" ({built['n'] / built['s']:.0f} articles/s),"
             f" peak RSS {built['peak'] / 2**20:.0f} MB"),
        ]  # fmt: skip
        loads: dict[str, list[float]] = {"500": [], "1000": [], "read": [], "merge": []}
        for n in range(7):
            now = latest + timedelta(hours=n + 1)  # merges stamp a later time than the last
            fresh = list(corpus(extra, extra + 500))
            extra += 500
            rows = fresh
            if n >= 5:  # 500 new and 500 updated
                old = list(corpus(size // 2, size // 2 + 500))
                rows = fresh + [{**r, "text": r["text"] + " Updated."} for r in old]
            got = load_cycle(db, rows, now=now)
            loads["500" if n < 5 else "1000"].append(got["index_s"])
            loads["read"].append(got["read_s"] * 1000)
            loads["merge"].append(got["merge_s"])
            print(f"  load {len(rows)}: {got}", flush=True)
        row += [
            ("load 500: index update (x5)", _range(loads["500"])),
            ("load 1,000 (half updates): index update (x2)", _range(loads["1000"])),
            ("load: read changes, DuckDB held", f"{max(loads['read']):.0f} ms max"),
        ]
        for k, v in measure_search(db, qs).items():
            row.append((k, v))
        with duckdb.connect(str(db), read_only=True) as con:
            n_articles = int(con.execute("SELECT count(*) FROM articles").fetchone()[0])  # type: ignore[index]
        row += [
            ("index disk per article", f"{dir_bytes(index_path(db)) / n_articles:.0f} B"),
            ("warehouse disk per article", f"{db.stat().st_size / n_articles:.0f} B"),
        ]
        if args.duckdb_parts:
            row += list(duckdb_partitioned(db, args.duckdb_parts, qs[:60]).items())
        if args.fts5 and size == args.fts5:
            row += list(fts5(size, qs[: args.fts5_queries], work).items())
        for k, v in row:
            table.append((f"{size:,}", k, v))
        _print(table)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def _range(values: list[float]) -> str:
    return " - ".join(f"{v:.2f}" for v in sorted(values)) + " s"


def _print(table: list[tuple[str, str, str]]) -> None:
    width = max(len(k) for _, k, _ in table)
    print(f"\n{'stored':>9}  {'measure':<{width}}  figure")
    for size, k, v in table:
        print(f"{size:>9}  {k:<{width}}  {v}")
    print(flush=True)


if __name__ == "__main__":
    main()
