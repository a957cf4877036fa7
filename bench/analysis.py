"""Benchmark the analysis layer on a generated warehouse of 20,000 articles.

The corpus: events over 60 days in the taxonomy's conflicts (and non-conflict news), each covered
by 1-15 articles from 30 outlets: the wire story, edited wire copies and independent write-ups.
Sentences come from the demo corpus's real-looking prose, the event's own sentences name its
actors and places, so the real tagger tags them. Articles go through the real staging and merge.

Measured: merge, signatures, story assignment, FTS rebuild (one-shot for 90%, then one more
incremental load of 10%), search latency (p50/p95 over many queries, warm connection; and the
CLI end to end), report build time, export time, and pair precision/recall of stories against
the generator's event labels.

    .venv/bin/python bench/analysis.py [--articles 20000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.analysis import refresh_search  # noqa: E402
from pipeline.analysis.export import export_parquet  # noqa: E402
from pipeline.analysis.report import ReportInput, build_report  # noqa: E402
from pipeline.analysis.stories import assign_stories, pair_scores  # noqa: E402
from pipeline.assemble import tag_text  # noqa: E402
from pipeline.dedup import content_hash, update_signatures  # noqa: E402
from pipeline.models import Article, RunReport  # noqa: E402
from pipeline.search import (  # noqa: E402
    SearchIndex,
    index_path,
    pending_changes,
    rebuild,
    search,
)
from pipeline.staging import StagedRun  # noqa: E402
from pipeline.urls import article_id  # noqa: E402
from pipeline.warehouse import connect, merge_run, migrate, pending_runs  # noqa: E402

TAXONOMY = ROOT / "seeds" / "taxonomy"
START = datetime(2025, 4, 1, tzinfo=UTC)
DAYS = 60
EVENT_PHRASES = {
    "ceasefire": "agreed to a ceasefire",
    "peace_talks": "held peace talks with negotiators",
    "prisoner_exchange": "carried out a prisoner exchange",
    "sanctions": "announced new sanctions",
    "airstrike_shelling": "came under heavy shelling and air strikes",
    "casualties": "said civilians were killed",
    "humanitarian": "let humanitarian aid convoys through",
    "mobilisation": "ordered a new mobilisation",
}
FIRST = "Amal Boris Chen Dana Emre Farah Goran Hana Ivan Jomo Kira Lena Musa Nadia".split()  # noqa: SIM905
LAST = "Abara Bondar Cruz Diallo Ersoy Fofana Gray Haddad Ito Juma Kovac Lund Novak".split()  # noqa: SIM905


def _read(name: str) -> list[dict[str, str]]:
    with (TAXONOMY / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def sentence_bank() -> list[str]:
    """Sentences of the demo corpus's article bodies (extracted the way a pass extracts them)."""
    from pipeline.extract import extract_html

    out: list[str] = []
    for page in sorted((ROOT / "seeds" / "demo").glob("*/articles/**/*.html")):
        got = extract_html(page.read_bytes(), url="https://demo.example/" + page.name)
        if got is None:
            continue
        for s in re.split(r"(?<=[.!?])\s+", got.text):
            if 60 <= len(s) <= 260:
                out.append(s)
    return out


def generate(n_articles: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    bank = sentence_bank()
    conflicts = [c["id"] for c in _read("conflicts.csv")]
    actors = _read("actors.csv")
    places = _read("places.csv")
    by_conflict: dict[str, tuple[list[str], list[str]]] = {
        c: (
            [a["name"] for a in actors if c in a["conflicts"].split("|")],
            [p["name"] for p in places if c in p["conflicts"].split("|")],
        )
        for c in conflicts
    }
    weights = [1 / (i + 1) for i in range(len(conflicts))]  # a few theatres dominate
    outlets = [f"Outlet {i:02d}" for i in range(30)]
    rows: list[dict[str, Any]] = []
    event = 0
    while len(rows) < n_articles:
        event += 1
        label = f"e{event}"
        at = START + timedelta(days=rng.randrange(DAYS), hours=rng.randrange(24))
        size = rng.choice([1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 15])
        conflict_news = rng.random() < 0.6
        facts: list[str] = []
        if conflict_news:
            c = rng.choices(conflicts, weights)[0]
            names, where = by_conflict[c]
            who = rng.sample(names, min(len(names), 2)) or ["officials"]
            place = rng.choice(where) if where else "the capital"
            kind = rng.choice(list(EVENT_PHRASES))
            person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            number = rng.randrange(3, 900)
            facts = [
                f"In {place}, {' and '.join(who)} {EVENT_PHRASES[kind]}, officials said.",
                f"{person}, who witnessed it, said {number} people were affected near {place}.",
                f"Reports from {place} could not be independently verified.",
            ]
            title = f"{who[0]}: {EVENT_PHRASES[kind]} in {place} ({number})"
        else:
            person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            title = f"{person} {rng.choice(['wins', 'opens', 'launches', 'signs'])} {event}"
            facts = [f"{person} spoke to reporters after the announcement on {at:%A}."]
        body = rng.sample(bank, 14)
        wire = " ".join(facts[:2] + body[:7] + facts[2:] + body[7:])
        picked = rng.sample(outlets, min(size, len(outlets)))
        for n, outlet in enumerate(picked):
            kind = "copy"
            if n == 0:
                text, t = wire, at
            elif rng.random() < 0.6:  # an edited wire copy
                sentences = re.split(r"(?<=[.!?])\s+", wire)
                del sentences[rng.randrange(2, len(sentences))]
                text = f"({outlet}) " + " ".join(sentences) + f" Follow {outlet} for updates."
                t = at + timedelta(minutes=rng.randrange(10, 180))
            else:  # an independent write-up with other words around the same facts
                kind = "write-up"
                text = " ".join(facts + rng.sample(bank, 12))
                t = at + timedelta(minutes=rng.randrange(30, 1200))
            rows.append(
                {"id": f"{label}-{n}", "outlet": outlet, "title": title, "text": text,
                 "published_at": t, "story": label, "kind": kind}
            )  # fmt: skip
    return rows[:n_articles]


def stage(rows: list[dict[str, Any]], staging: Path, run_id: str) -> None:
    staged = StagedRun(staging, run_id, batch_size=5000)
    for r in rows:
        url = f"https://{r['outlet'].replace(' ', '').lower()}.example/{r['id']}"
        staged.add_article(
            Article(
                article_id=article_id(url), url=url, canonical_url=url,
                feed_url=url.rsplit("/", 1)[0] + "/rss", outlet=r["outlet"], title=r["title"],
                author=None, published_at=r["published_at"],
                fetched_at=r["published_at"] + timedelta(minutes=5), language="en",
                text=r["text"], summary=None, word_count=len(r["text"].split()),
                content_hash=content_hash(r["text"]), text_source="page", run_id=run_id,
                tagging=tag_text(r["title"], r["text"], "en", None),
            )
        )  # fmt: skip
    staged.finish(RunReport(run_id=run_id), source="live", started_at=datetime.now(UTC))


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def load(db: Path, staging: Path) -> dict[str, float]:
    """One load, step by step (what load_staged + after_load do), timed."""
    now = datetime.now(UTC)
    out: dict[str, float] = {}
    with connect(db) as con:
        migrate(con)
        (run,) = pending_runs(staging)
        out["merge_s"], _ = timed(merge_run, con, run, now=now)
        shutil.rmtree(run)
        out["signatures_s"], out["signatures"] = timed(update_signatures, con)
        out["stories_s"], upd = timed(assign_stories, con, now=now)
        out["assigned"] = upd.assigned
        started = time.perf_counter()
        changes = pending_changes(con, index_path(db))
    refresh_search(db, changes, wait_seconds=30)
    out["fts_s"] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="keep the generated warehouse here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    db, staging = work / "bench.duckdb", work / "staging"
    figures: list[tuple[str, str]] = []

    t, rows = timed(generate, args.articles)
    rows.sort(key=lambda r: r["published_at"])
    print(f"generated {len(rows)} articles in {t:.1f}s", flush=True)
    split = int(len(rows) * 0.9)
    t, _ = timed(stage, rows[:split], staging, "bulk")
    figures.append(("tag + stage (90%)", f"{t:.1f} s ({split / t:.0f} articles/s)"))
    bulk = load(db, staging)
    figures += [
        (f"merge {split}", f"{bulk['merge_s']:.2f} s"),
        ("signatures (MinHash x2)", f"{bulk['signatures_s']:.1f} s"
         f" ({bulk['signatures'] / bulk['signatures_s']:.0f} articles/s)"),
        ("story assignment, one shot", f"{bulk['stories_s']:.1f} s"
         f" ({bulk['assigned'] / bulk['stories_s']:.0f} articles/s)"),
        (f"search index build at {split}", f"{bulk['fts_s']:.2f} s"),
    ]  # fmt: skip
    stage(rows[split:], staging, "increment")
    inc = load(db, staging)
    n_inc = len(rows) - split
    figures += [
        (f"incremental load of {n_inc}: merge", f"{inc['merge_s']:.2f} s"),
        ("  signatures + stories", f"{inc['signatures_s'] + inc['stories_s']:.2f} s"
         f" ({n_inc / (inc['signatures_s'] + inc['stories_s']):.0f} articles/s)"),
        (f"  search index update at {len(rows)}", f"{inc['fts_s']:.2f} s"),
    ]  # fmt: skip
    with connect(db, read_only=True) as con, SearchIndex.open(index_path(db), writable=True) as ix:
        rebuilds = [timed(rebuild, con, ix)[0], timed(rebuild, con, ix)[0]]
    figures.append((f"search index rebuild at {len(rows)} (x2)", _range(rebuilds)))

    # Stories against the generator's labels.
    with connect(db, read_only=True) as con:
        got = dict(con.execute("SELECT article_id, story_id FROM story_articles").fetchall())
        parent = dict(
            con.execute(
                "SELECT article_id, duplicate_of FROM story_articles WHERE duplicate_of IS NOT NULL"
            ).fetchall()
        )
    by_id = {
        article_id(f"https://{r['outlet'].replace(' ', '').lower()}.example/{r['id']}"): r
        for r in rows
    }
    truth = {a: r["story"] for a, r in by_id.items()}
    scores = pair_scores(got, truth)

    def root(a: str) -> str:
        while a in parent:
            a = parent[a]
        return a

    copies = pair_scores(
        {a: root(a) for a in by_id},
        {a: r["story"] + ("" if r["kind"] == "copy" else r["id"]) for a, r in by_id.items()},
    )
    figures.append(
        ("copy pairs P / R (generated)", f"{copies['precision']:.3f} / {copies['recall']:.3f}"
         f" ({copies['pairs_true']} true pairs)")
    )  # fmt: skip
    figures.append(
        ("story pairs P / R (generated)", f"{scores['precision']:.3f} / {scores['recall']:.3f}"
         f" ({scores['pairs_true']} true pairs)")
    )  # fmt: skip

    # Search: warm read-only connection, mixed queries, some filtered.
    words = [w for r in rows[:2000] for w in re.findall(r"[A-Za-z]{5,}", r["title"])]
    rng = random.Random(7)
    latencies = []
    with connect(db, read_only=True) as con, SearchIndex.open(index_path(db)) as index:
        search(con, index, "ceasefire")  # first use warms the reader
        for i in range(args.queries):
            q = " ".join(rng.sample(words, rng.choice([1, 2, 3])))
            kwargs: dict[str, Any] = {}
            if i % 3 == 1:
                day = (START + timedelta(days=rng.randrange(DAYS - 7))).date()
                kwargs = {"date_from": day, "date_to": day + timedelta(days=7)}
            elif i % 3 == 2:
                kwargs = {"conflict": "Russia-Ukraine"}
            t, _ = timed(search, con, index, q, **kwargs)
            latencies.append(t * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    figures.append(
        (f"search, {args.queries} queries, warm", f"p50 {p50:.0f} ms, p95 {p95:.0f} ms,"
         f" max {latencies[-1]:.0f} ms")
    )  # fmt: skip
    cli = [ROOT / ".venv" / "bin" / "newsdesk"]
    env = {"NEWSDESK_DB": str(db), "PATH": "/usr/bin:/bin"}
    t, out = timed(
        subprocess.run, [*cli, "search", "ceasefire shelling"], env=env, capture_output=True
    )
    found = re.search(r"in (\d+) ms", out.stdout.decode())
    query_ms = found.group(1) if found else "?"
    figures.append(("`newsdesk search` end to end", f"{t:.2f} s (query {query_ms} ms)"))

    # Report: in process (warm) and the CLI end to end.
    spec = ReportInput(
        date_from=START.date(),
        date_to=(START + timedelta(days=DAYS - 1)).date(),
        generated_at=datetime.now(UTC),
    )
    with connect(db, read_only=True) as con:
        builds = [timed(build_report, con, spec)[0] for _ in range(3)]
    figures.append((f"report build, {DAYS} days, in process (x3)", _range(builds)))
    out_html = work / "report.html"
    t, proc = timed(
        subprocess.run,
        [*cli, "report", "--from", f"{spec.date_from}", "--to", f"{spec.date_to}",
         "--out", str(out_html)],
        env=env, capture_output=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    figures.append(
        ("`newsdesk report` end to end", f"{t:.2f} s, {out_html.stat().st_size // 1024} KB")
    )
    with connect(db, read_only=True) as con:
        t, _ = timed(export_parquet, con, work / "export")
    figures.append(("export parquet by day", f"{t:.2f} s"))

    width = max(len(k) for k, _ in figures)
    print(f"\n{'measure':<{width}}  figure")
    for k, v in figures:
        print(f"{k:<{width}}  {v}")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(db, args.keep / db.name)
    shutil.rmtree(work, ignore_errors=True)


def _range(values: list[float]) -> str:
    return " - ".join(f"{v:.2f}" for v in sorted(values)) + " s"


if __name__ == "__main__":
    main()
