"""Data-quality checks for one time window: per-feed volume, silent and failing feeds, fallbacks.

Checks warn, they do not fail a run: a feed that went quiet is news for a person, not a reason
to stop ingesting the others. Recorded checks go to the `quality_checks` table (one row per feed
per window, plus '*' for all feeds), replaced as a set when a window is checked again.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.queries import load_query
from pipeline.warehouse import SQL_DIR, connect, migrate

log = logging.getLogger(__name__)

LOOKBACK_WINDOWS = 7  # earlier windows of the same length that make the baseline
SILENT_MIN_BASELINE = 1.0  # a feed is "silent" if it averaged at least this and now has none
DROP_MIN_BASELINE = 4.0  # "dropped" needs a baseline this large to mean anything
DROP_RATIO = 0.25  # ... and fewer than this share of it
FALLBACK_MIN_ARTICLES = 3  # "fallback" needs this many articles in the window
FALLBACK_RATIO = 0.5  # ... and more than this share stored from the feed's summary
MAX_FLAGGED = 50  # flagged feeds listed in the returned summary (all are in the table)

_CHECKS = SQL_DIR / "quality" / "feed_checks.sql"


def _params(start: datetime, end: datetime, checked_at: datetime) -> dict[str, Any]:
    length = end - start
    return {
        "start": start,
        "end": end,
        "history_start": start - LOOKBACK_WINDOWS * length,
        "window_s": length.total_seconds(),
        "lookback": LOOKBACK_WINDOWS,
        "silent_min": SILENT_MIN_BASELINE,
        "drop_min": DROP_MIN_BASELINE,
        "drop_ratio": DROP_RATIO,
        "fallback_min": FALLBACK_MIN_ARTICLES,
        "fallback_ratio": FALLBACK_RATIO,
        "checked_at": checked_at,
    }


def _summary(
    columns: list[str], rows: list[tuple[Any, ...]], start: datetime, end: datetime, record: bool
) -> dict[str, Any]:
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    total = next((r for r in records if r["feed_url"] == "*"), None)
    feeds = [r for r in records if r["feed_url"] != "*"]
    flagged = [r for r in feeds if r["status"] not in ("ok", "new")]
    for r in flagged:
        log.warning(
            "quality %s: %s (%d articles, baseline %s, %d/%d fetches failed)",
            r["status"],
            r["feed_url"],
            r["articles"],
            "-" if r["baseline"] is None else f"{r['baseline']:.1f}",
            r["fetch_errors"],
            r["fetches"],
        )
    return {
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "recorded": record,
        "articles": total["articles"] if total else 0,
        "baseline": total["baseline"] if total else None,
        "fallback_share": total["fallback_share"] if total else None,
        "status": total["status"] if total else "empty",
        "feeds_checked": len(feeds),
        "feeds_by_status": dict(sorted(Counter(r["status"] for r in feeds).items())),
        "flagged": [
            {"feed_url": r["feed_url"], "status": r["status"], "articles": r["articles"]}
            for r in flagged[:MAX_FLAGGED]
        ],
    }


def check_window(
    db_path: Path,
    *,
    start: datetime,
    end: datetime,
    record: bool = False,
    checked_at: datetime | None = None,
    wait_seconds: float = 30.0,
) -> dict[str, Any]:
    """Check the window [start, end); with `record`, replace its rows in `quality_checks`."""
    if end <= start:
        raise ValueError(f"empty quality window: {start.isoformat()} .. {end.isoformat()}")
    if not db_path.exists() and not record:
        return _summary([], [], start, end, record)
    select = _CHECKS.read_text(encoding="utf-8").strip().rstrip(";")
    params = _params(start, end, checked_at or datetime.now(UTC))
    if not record:
        with connect(db_path, read_only=True, wait_seconds=wait_seconds) as con:
            cursor = con.execute(select, params)
            columns = [d[0] for d in cursor.description or []]
            return _summary(columns, cursor.fetchall(), start, end, record)
    window = {"start": start, "end": end}
    with connect(db_path, wait_seconds=wait_seconds) as con:
        migrate(con)
        checked = con.execute(select, params).to_arrow_table()
        con.register("checked_rows", checked)
        con.begin()
        try:
            con.execute(load_query("quality/clear_window"), window)
            con.execute(load_query("quality/record"))
            con.commit()
        except Exception:
            con.rollback()
            raise
        finally:
            con.unregister("checked_rows")
        cursor = con.execute(load_query("quality/window"), window)
        columns = [d[0] for d in cursor.description or []]
        return _summary(columns, cursor.fetchall(), start, end, record)
