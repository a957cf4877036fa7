"""End-to-end ingest throughput and memory against trafilatura alone, measured in one run.

Serves N real-looking article pages (the real pages in ../shared/data/extraction when present,
else the demo corpus's pages) from a separate server process on loopback, behind feeds of 50
items, runs one `newsdesk` pass into a fresh DuckDB file, and in the same run times
`trafilatura.extract` over the same pages in one process. Peak memory is the largest summed RSS
of the pass's process tree (main process + extraction workers), sampled every 50 ms.
The single-process baselines are timed before and after the passes and averaged, so a neighbour
loading the machine for part of the run moves both sides of each ratio alike.

``--stages N`` profiles a worker's per-page cost instead (cProfile over N pages in this process,
extraction given the feed's title and date as a pass gives them, plus tagging), then times
extraction alone against trafilatura in the same process (interleaved page by page).

    .venv/bin/python bench/ingest.py --sizes 300 1200
    .venv/bin/python bench/ingest.py --stages 200
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED_PAGES = ROOT.parent / "shared" / "data" / "extraction" / "fundus-pages"
HOSTS = 8
ITEMS_PER_FEED = 50


def load_pages() -> tuple[list[bytes], str]:
    if SHARED_PAGES.is_dir():
        pages = [gzip.decompress(p.read_bytes()) for p in sorted(SHARED_PAGES.rglob("*.html.gz"))]
        return pages, f"{len(pages)} real pages from ../shared/data/extraction/fundus-pages"
    demo = sorted((ROOT / "seeds" / "demo").rglob("articles/*.html"))
    return [p.read_bytes() for p in demo], f"{len(demo)} demo corpus pages"


def serve(n: int, port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Server process: HOSTS ports, feeds /feed-K.xml and pages /p/I.html."""
    pages, _ = load_pages()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:
            port = self.server.server_address[1]
            base = f"http://127.0.0.1:{port}"
            if self.path == "/robots.txt":
                body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path.startswith("/feed-"):
                k = int(self.path[6:].split(".")[0])
                items = "".join(
                    f"<item><title>Story {i}</title><link>{base}/p/{i}.html</link>"
                    f"<pubDate>Fri, 16 May 2025 09:00:00 GMT</pubDate>"
                    f"<description>Summary of story {i}.</description></item>"
                    for i in range(k * ITEMS_PER_FEED, min(n, (k + 1) * ITEMS_PER_FEED))
                )
                body = (
                    '<?xml version="1.0"?><rss version="2.0"><channel>'
                    f"<title>F{k}</title>{items}</channel></rss>"
                ).encode()
                ctype = "application/rss+xml"
            elif self.path.startswith("/p/"):
                i = int(self.path[3:].split(".")[0])
                body, ctype = pages[i % len(pages)], "text/html; charset=utf-8"
            else:
                body, ctype = b"not found", "text/plain"
            self.send_response(200 if ctype != "text/plain" or "robots" in self.path else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(HOSTS)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    port_queue.put([s.server_address[1] for s in servers])
    time.sleep(3600)


def feeds_for(n: int, ports: list[int]) -> list[object]:
    from pipeline.models import Feed

    feeds = []
    for k in range((n + ITEMS_PER_FEED - 1) // ITEMS_PER_FEED):
        port = ports[k % len(ports)]
        feeds.append(
            Feed(url=f"http://127.0.0.1:{port}/feed-{k}.xml", outlet=f"Outlet {k % HOSTS}")
        )
    return feeds


class PeakRss:
    """Largest summed RSS of this process and its children, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_pass(n: int, ports: list[int], workdir: Path) -> dict[str, float]:
    from pipeline.config import Settings
    from pipeline.run import run_once

    base = Settings.from_env(env={})
    settings = replace(
        base,
        db_path=workdir / f"bench-{n}.duckdb",
        data_dir=workdir / f"data-{n}",
        http=replace(
            base.http, allow_private_hosts=True, min_host_delay=0.0, per_host_concurrency=4
        ),
    )
    with PeakRss() as rss:
        t0 = time.perf_counter()
        report, _ = run_once(settings, feeds=feeds_for(n, ports), now=datetime.now(UTC))
        elapsed = time.perf_counter() - t0
    return {
        "n": n,
        "stored": report.articles_inserted,
        "seconds": elapsed,
        "articles_per_s": report.articles_inserted / elapsed,
        "peak_rss_mb": rss.peak / 2**20,
    }


def trafilatura_alone(pages: list[bytes], n: int, *, with_metadata: bool) -> float:
    """Pages/s of trafilatura in this one process: plain `extract`, or with the metadata the
    pipeline needs (title, author, date, site name) as `bare_extraction` gives it."""
    import trafilatura

    t0 = time.perf_counter()
    for i in range(n):
        page = pages[i % len(pages)]
        if with_metadata:
            trafilatura.bare_extraction(page, include_comments=False, with_metadata=True)
        else:
            trafilatura.extract(page, include_comments=False)
    return n / (time.perf_counter() - t0)


# Stages of a worker's per-page work, by the function that does each (module path suffix, name).
STAGES = (
    ("decode + parse once", "extract/core.py", "parse_html"),
    ("head metadata", "extract/meta.py", "page_meta"),
    ("date (page, when the feed has none)", "extract/meta.py", "find_published"),
    ("trafilatura body (all runs)", "extract/core.py", "_trafilatura_text"),
    ("cleanup", "extract/clean.py", "clean_body"),
    ("language", "extract/meta.py", "detect_language"),
    ("tagging", "pipeline/assemble.py", "tag_text"),
)


def stage_costs(pages: list[bytes], n: int) -> None:
    """Per-page milliseconds of each stage of a worker's job, under cProfile, in this process."""
    import cProfile
    import pstats

    from pipeline.assemble import tag_text
    from pipeline.extract import extract_html

    published = datetime(2025, 5, 16, 9, tzinfo=UTC)

    def work(i: int) -> None:
        got = extract_html(pages[i % len(pages)], feed_title=f"Story {i}", feed_published=published)
        if got is not None:
            tag_text(got.title, got.text, got.language, None)

    work(0)  # models and lazy imports untimed
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    for i in range(n):
        work(i)
    profile.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    print(f"{n} pages, {1000 * wall / n:.1f} ms/page under cProfile")
    for label, path, name in STAGES:
        calls = cum = 0.0
        for (filename, _, func), (_, ncalls, _, cumtime, _) in stats.items():
            if func == name and filename.endswith(path):
                calls, cum = calls + ncalls, cum + cumtime
        print(f"  {label:<38} {1000 * cum / n:6.1f} ms/page  {calls / n:5.2f} calls/page")


def extraction_ratios(pages: list[bytes], n: int) -> None:
    """Pages/s of our extraction against trafilatura's, page by page in the same process.

    Every page is given to each contender in turn before the next page, so load from neighbours
    on a shared machine falls on all of them alike.
    """
    import trafilatura

    from pipeline.extract import extract_html

    published = datetime(2025, 5, 16, 9, tzinfo=UTC)
    contenders = {
        "trafilatura.extract": lambda h: trafilatura.extract(h, include_comments=False),
        "bare_extraction + metadata": lambda h: trafilatura.bare_extraction(
            h, include_comments=False, with_metadata=True
        ),
        "extract_html, feed title+date": lambda h: extract_html(
            h, feed_title="Story", feed_published=published
        ),
        "extract_html, nothing from feed": lambda h: extract_html(h),
    }
    for run in contenders.values():
        run(pages[0])  # lazy imports and models untimed
    spent = dict.fromkeys(contenders, 0.0)
    for i in range(n):
        page = pages[i % len(pages)]
        for name, run in contenders.items():
            t0 = time.perf_counter()
            run(page)
            spent[name] += time.perf_counter() - t0
    base, meta = spent["trafilatura.extract"], spent["bare_extraction + metadata"]
    for name, seconds in spent.items():
        rate = n / seconds
        print(f"  {name:<34} {rate:6.1f} pages/s  {base / seconds:5.2f}x extract", end="")
        print(f"  {meta / seconds:5.2f}x +meta")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1200])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--stages", type=int, default=0, help="profile N pages' worker stages")
    args = parser.parse_args()
    pages, origin = load_pages()
    if args.stages:
        print(f"pages: {origin}")
        stage_costs(pages, args.stages)
        print("extraction alone, one process, contenders interleaved page by page:")
        extraction_ratios(pages, args.stages)
        return
    ctx = multiprocessing.get_context("spawn")
    ports_q = ctx.Queue()
    server = ctx.Process(target=serve, args=(max(args.sizes), ports_q), daemon=True)
    server.start()
    ports = ports_q.get(timeout=60)
    results = []
    try:
        warm = min(300, max(args.sizes))
        before = trafilatura_alone(pages, warm, with_metadata=False)
        before_meta = trafilatura_alone(pages, warm, with_metadata=True)
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                results.append(run_pass(n, ports, Path(tmp)))
        after = trafilatura_alone(pages, warm, with_metadata=False)
        after_meta = trafilatura_alone(pages, warm, with_metadata=True)
        baseline, baseline_meta = (before + after) / 2, (before_meta + after_meta) / 2
    finally:
        server.terminate()
    print(f"pages: {origin}; cores: {os.cpu_count()}")
    print(f"trafilatura alone, one process: extract {baseline:.1f} pages/s, ", end="")
    print(
        f"bare_extraction with metadata {baseline_meta:.1f} pages/s (mean of before/after: ", end=""
    )
    print(f"{before:.1f}/{after:.1f} and {before_meta:.1f}/{after_meta:.1f})")
    header = f"{'N':>6} {'stored':>7} {'seconds':>8} {'articles/s':>11}"
    print(f"{header} {'vs extract':>11} {'vs +metadata':>13} {'peak RSS MB':>12}")
    for r in results:
        print(
            f"{r['n']:>6} {r['stored']:>7} {r['seconds']:>8.1f} {r['articles_per_s']:>11.1f} "
            f"{r['articles_per_s'] / baseline:>11.2f} {r['articles_per_s'] / baseline_meta:>13.2f} "
            f"{r['peak_rss_mb']:>12.0f}"
        )
    if args.json:
        figures = {"extract_pages_per_s": baseline, "metadata_pages_per_s": baseline_meta}
        args.json.write_text(json.dumps({**figures, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
