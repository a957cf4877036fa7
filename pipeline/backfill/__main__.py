"""`python -m pipeline.backfill`: run one backfill in a fresh interpreter (for scheduled tasks).

A pickled request arrives on stdin (written by `pipeline.tasks.daily_archive`, our own
parent) and a JSON result is written to the file it names. A fresh interpreter keeps the
extraction workers' start-up away from the scheduler's `__main__` (see `tasks.stage_shard`).
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    from pipeline.backfill import SourceError, Window, run_backfill
    from pipeline.childproc import setup_child_logging
    from pipeline.config import ConfigError
    from pipeline.feeds import FeedListError, load_feeds

    setup_child_logging()
    request = pickle.loads(sys.stdin.buffer.read())
    result_path: Path = request["result"]
    settings = request["settings"]
    out: dict[str, Any]
    try:
        window = Window.from_interval(request["start"], request["end"])
        feeds = load_feeds(settings.feeds_path)
        out = run_backfill(
            settings,
            window=window,
            source=request["source"],
            feeds=feeds,
            now=request["now"],
            merge=False,  # the DAG's load task (pool duckdb_writer) merges
        ).as_dict()
    except (SourceError, ConfigError, FeedListError) as exc:
        out = {"error_type": type(exc).__name__, "error": str(exc)}
    result_path.write_text(json.dumps(out, default=str), encoding="utf-8")
    return 0 if "error" not in out else 3


if __name__ == "__main__":
    sys.exit(main())
