"""A Wayback backfill over a real archived week, checked against an independent expectation.

    .venv/bin/python bench/backfill_wayback.py 2020-08-24 2020-08-30 [--out /tmp/bf]

Serves every outlet of `../shared/data/feeds/real/headlines-2020/` through
`../shared/tools/wayback.py` (a loopback stand-in for the CDX API and raw playback), computes
the expected set by parsing each capture in the window with feedparser directly (items
published in the window, or undated and captured in it), runs `run_backfill` into a fresh
DuckDB file, then reruns it twice (resume, and `redo=True`). Prints expected vs stored, missing
and extra, requests, time, and what the reruns inserted (both must be 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SHARED / "tools"))

from pipeline.backfill import Window, run_backfill  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.models import Feed  # noqa: E402
from pipeline.urls import UrlError, article_id, canonical_url  # noqa: E402
from pipeline.warehouse import connect  # noqa: E402


def expected_items(arc: object, feeds: list[Feed], start: date, end: date) -> set[str]:
    import wayback as wb  # ../shared/tools

    expected: set[str] = set()
    for feed in feeds:
        for stamp, path in arc.captures[wb.key(feed.url)]:  # type: ignore[attr-defined]
            captured = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            if not start <= captured.date() <= end:
                continue
            for entry in feedparser.parse(path.read_bytes()).entries:
                link = entry.get("link") or entry.get("id")
                parsed = entry.get("published_parsed") or entry.get("updated_parsed")
                when = datetime(*parsed[:6], tzinfo=UTC) if parsed else captured
                if link and start <= when.date() <= end:
                    try:
                        expected.add(article_id(canonical_url(link)))
                    except UrlError:
                        continue
    return expected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start", type=date.fromisoformat)
    parser.add_argument("end", type=date.fromisoformat)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    headlines = SHARED / "data" / "feeds" / "real" / "headlines-2020"
    if not headlines.is_dir():
        print(f"{headlines} is not here: this benchmark needs ../shared", file=sys.stderr)
        return 2
    import wayback as wb  # ../shared/tools

    arc = wb.Archive()
    feeds = []
    for folder in sorted(p for p in headlines.iterdir() if p.is_dir()):
        url = f"https://feeds.{folder.name}.example/rss.xml"
        arc.add(url, folder)
        feeds.append(Feed(url=url, outlet=folder.name))
    _server, base = wb.start(arc)
    expected = expected_items(arc, feeds, args.start, args.end)
    out = args.out or Path(tempfile.mkdtemp(prefix="newsdesk-backfill-"))
    base_settings = Settings.from_env(env={})
    settings = replace(
        base_settings,
        db_path=out / "newsdesk.duckdb",
        data_dir=out / "data",
        wayback_url=base,
        wayback_min_interval=0.0,
        write_warc=False,
        http=replace(base_settings.http, allow_private_hosts=True, retries=1),
    )
    window = Window(args.start, args.end)
    now = datetime.now(UTC)
    started = time.monotonic()
    run_backfill(settings, window=window, source="wayback", feeds=feeds, now=now)
    elapsed = time.monotonic() - started
    with connect(settings.db_path, read_only=True) as con:
        stored = {r[0] for r in con.execute("SELECT article_id FROM articles").fetchall()}
    rerun = run_backfill(settings, window=window, source="wayback", feeds=feeds, now=now)
    redo = run_backfill(settings, window=window, source="wayback", feeds=feeds, now=now, redo=True)
    result = {
        "window": [str(args.start), str(args.end)],
        "expected_items": len(expected),
        "stored": len(stored),
        "missing": len(expected - stored),
        "extra": len(stored - expected),
        "requests": len(arc.log),
        "elapsed_s": round(elapsed, 1),
        "rerun_inserted": rerun.articles_inserted,
        "rerun_resumed": rerun.units_resumed,
        "redo_inserted": redo.articles_inserted,
    }
    print(json.dumps(result, indent=1))
    return 0 if result["missing"] == result["extra"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
