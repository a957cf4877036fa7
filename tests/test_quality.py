"""Per-window quality checks and the shard plan, on real DuckDB files (no Airflow needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.quality import check_window
from pipeline.tasks import newsdesk_run_id, plan_shards, split_feeds
from pipeline.warehouse import connect, migrate

DAY = datetime(2025, 5, 20, tzinfo=UTC)


def add_articles(
    con: object, feed: str, day: datetime, n: int, *, summary: int = 0, tag: str = ""
) -> None:
    for i in range(n):
        source = "feed_summary" if i < summary else "page"
        con.execute(  # type: ignore[attr-defined]
            "INSERT INTO articles (article_id, url, canonical_url, feed_url, published_at,"
            " fetched_at, text, word_count, content_hash, text_source, run_id, first_seen_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, 't', 1, 'h', ?, 'r', ?, ?)",
            [f"{feed}{tag}{day:%m%d}{i}", "u", "u", feed, day + timedelta(hours=1), day, source,
             day, day],
        )  # fmt: skip


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Four feeds with a week of history before DAY, each behaving differently on DAY."""
    db = tmp_path / "w.duckdb"
    added = DAY - timedelta(days=30)
    with connect(db) as con:
        migrate(con)
        for feed in ("steady", "quiet", "collapsing", "paywalled", "broken"):
            con.execute(
                "INSERT INTO feeds (feed_url, outlet, added_at) VALUES (?, ?, ?)",
                [feed, feed.title(), added],
            )
        for back in range(1, 8):
            day = DAY - timedelta(days=back)
            for feed in ("steady", "quiet", "paywalled", "broken"):
                add_articles(con, feed, day, 2)
            add_articles(con, "collapsing", day, 8)
        add_articles(con, "steady", DAY, 2)
        add_articles(con, "collapsing", DAY, 1)
        add_articles(con, "paywalled", DAY, 4, summary=3)
        for hour in (1, 9):
            at = DAY + timedelta(hours=hour)
            con.execute(
                "INSERT INTO feed_fetches VALUES"
                " ('broken', ?, ?, 503, 'error', 'http 503', 0, 0, 5),"
                " ('steady', ?, ?, 200, 'ok', NULL, 2, 1, 5)",
                [f"r{hour}", at, f"r{hour}", at],
            )
    return db


def test_a_day_flags_silent_dropped_fallback_and_failing_feeds(warehouse: Path) -> None:
    summary = check_window(warehouse, start=DAY, end=DAY + timedelta(days=1))
    by_feed = {f["feed_url"]: f["status"] for f in summary["flagged"]}
    assert by_feed == {
        "quiet": "silent",
        "collapsing": "dropped",
        "paywalled": "fallback",
        "broken": "failing",
    }
    assert summary["feeds_by_status"] == {
        "dropped": 1, "failing": 1, "fallback": 1, "ok": 1, "silent": 1
    }  # fmt: skip
    assert summary["articles"] == 7 and summary["baseline"] == 16
    assert summary["recorded"] is False


def test_recording_a_window_twice_keeps_one_set_of_rows(warehouse: Path) -> None:
    start, end = DAY, DAY + timedelta(days=1)
    first = check_window(warehouse, start=start, end=end, record=True)
    again = check_window(warehouse, start=start, end=end, record=True)
    assert first == again
    with connect(warehouse, read_only=True) as con:
        rows = con.execute("SELECT feed_url, status FROM quality_checks ORDER BY 1").fetchall()
    assert rows == [
        ("*", "ok"), ("broken", "failing"), ("collapsing", "dropped"), ("paywalled", "fallback"),
        ("quiet", "silent"), ("steady", "ok"),
    ]  # fmt: skip


def test_a_day_before_any_history_is_new_not_silent(warehouse: Path) -> None:
    start = DAY - timedelta(days=7)
    summary = check_window(warehouse, start=start, end=start + timedelta(days=1))
    assert summary["feeds_by_status"] == {"ok": 5}
    early = DAY - timedelta(days=60)
    assert check_window(warehouse, start=early, end=early + timedelta(days=1))["status"] == "new"


def test_no_warehouse_yet_is_an_empty_check(tmp_path: Path) -> None:
    summary = check_window(tmp_path / "none.duckdb", start=DAY, end=DAY + timedelta(days=1))
    assert summary["status"] == "empty" and summary["feeds_checked"] == 0


def test_shards_keep_each_origin_together_and_stay_even() -> None:
    feeds = [Feed(url=f"https://site{i % 5}.example/feed{i}.xml") for i in range(23)]
    feeds += [Feed(url="http://SITE0.example:8080/other.xml")]
    shards = split_feeds(feeds, 3)
    assert len(shards) == 3 and sum(map(len, shards)) == len(feeds)
    origins = [{f.url.split("/")[2].lower() for f in shard} for shard in shards]
    assert all(not (a & b) for i, a in enumerate(origins) for b in origins[i + 1 :])
    assert max(map(len, shards)) - min(map(len, shards)) <= 5
    assert len(split_feeds(feeds[:2], 8)) == 2  # never more shards than origins


def test_plan_writes_one_feed_file_per_shard_under_the_run(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.csv"
    feeds.write_text("outlet,url\nA,https://a.example/rss\nB,https://b.example/rss\n")
    settings = Settings.from_env(env={}, feeds_path=feeds, data_dir=tmp_path / "data")
    run_id = newsdesk_run_id("ingest", "scheduled__2025-05-20T12:00:00+00:00")
    assert run_id == "ingest-scheduled__2025-05-20T12_00_00_00_00"
    shards = plan_shards(settings, run_id=run_id, shards=4)
    assert [s["run_id"] for s in shards] == [f"{run_id}-s0", f"{run_id}-s1"]
    assert all(Path(s["feeds_file"]).parent == tmp_path / "data" / "plans" / run_id for s in shards)
    assert sorted(s["feeds"] for s in shards) == [1, 1]
