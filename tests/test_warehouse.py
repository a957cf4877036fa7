from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.models import Article, Feed, FeedFetch, RunReport, Tagging
from pipeline.staging import STALE_STAGING_SECONDS, StagedRun, discard_stale, pending_runs
from pipeline.warehouse import (
    WarehouseLocked,
    connect,
    load_staged,
    migrate,
    migrations,
    read_state,
)

T0 = datetime(2025, 5, 16, 12, tzinfo=UTC)


def article(n: int, *, source: str = "page", text: str = "body", run: str = "r1") -> Article:
    return Article(
        article_id=f"id{n:030d}",
        url=f"http://a.test/{n}",
        canonical_url=f"http://a.test/{n}",
        feed_url="http://a.test/rss",
        outlet="A",
        title=f"T{n}",
        author=None,
        published_at=T0,
        fetched_at=T0 + timedelta(minutes=n),
        language="en",
        text=text,
        summary="sum",
        word_count=len(text.split()),
        content_hash=f"h{n}",
        text_source=source,  # type: ignore[arg-type]
        run_id=run,
        tagging=Tagging(
            is_conflict=True,
            score=0.9,
            version="v1",
            rows=(("event", "ceasefire", None, 0.8, "title:ceasefire"),),
        ),
    )


def stage(tmp: Path, run_id: str, articles: list[Article], fetch_status: int = 200) -> Path:
    staged = StagedRun(tmp / "staging", run_id, batch_size=2)
    for a in articles:
        staged.add_article(a)
    staged.add_fetch(
        FeedFetch(
            feed_url="http://a.test/rss", run_id=run_id, fetched_at=T0, http_status=fetch_status,
            outcome="ok" if fetch_status == 200 else "error", error=None, items_seen=3,
            items_new=len(articles), elapsed_ms=5, etag='"e1"', last_modified=None,
        ),
        Feed(url="http://a.test/rss", outlet="A"),
    )  # fmt: skip
    return staged.finish(RunReport(run_id=run_id), source="live", started_at=T0)


def count(db: Path, sql: str) -> int:
    with connect(db, read_only=True) as con:
        row = con.execute(sql).fetchone()
        assert row is not None
        return int(row[0])


def test_migrations_are_numbered_and_applied_once(tmp_path: Path) -> None:
    numbers = [n for n, _, _ in migrations()]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
    with connect(tmp_path / "w.duckdb") as con:
        assert migrate(con) == numbers
        assert migrate(con) == []


def test_rerun_of_the_same_staged_batch_adds_no_rows(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    batch = [article(1), article(2), article(3)]
    stage(tmp_path, "r1", batch)
    (first,) = load_staged(db, tmp_path / "staging")
    assert (first.inserted, first.updated) == (3, 0)
    assert pending_runs(tmp_path / "staging") == []
    stage(tmp_path, "r1", batch)
    (again,) = load_staged(db, tmp_path / "staging")
    assert (again.inserted, again.updated) == (0, 0)  # identical rows: nothing to update
    assert count(db, "SELECT count(*) FROM articles") == 3
    assert count(db, "SELECT count(*) FROM article_tags") == 3
    assert count(db, "SELECT count(*) FROM feed_fetches") == 1
    assert count(db, "SELECT count(*) FROM runs") == 1


def test_duplicates_inside_one_batch_keep_page_text(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    stage(tmp_path, "r1", [article(1, source="feed_summary", text="s"), article(1, text="page")])
    load_staged(db, tmp_path / "staging")
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT text_source, text FROM articles").fetchall() == [
            ("page", "page")
        ]


def test_feed_summary_never_replaces_stored_page_text(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    stage(tmp_path, "r1", [article(1, text="full page text")])
    load_staged(db, tmp_path / "staging")
    stage(tmp_path, "r2", [article(1, source="feed_summary", text="short", run="r2")])
    load_staged(db, tmp_path / "staging")
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT text, run_id FROM articles").fetchall() == [
            ("full page text", "r1")
        ]


def test_feed_state_keeps_validators_through_an_error(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    stage(tmp_path, "r1", [])
    load_staged(db, tmp_path / "staging")
    assert read_state(db).validators == {"http://a.test/rss": ('"e1"', None)}
    staged = StagedRun(tmp_path / "staging", "r2")
    staged.add_fetch(
        FeedFetch(
            feed_url="http://a.test/rss", run_id="r2", fetched_at=T0 + timedelta(hours=1),
            http_status=503, outcome="error", error="http 503", items_seen=0, items_new=0,
            elapsed_ms=1,
        ),
        Feed(url="http://a.test/rss"),
    )  # fmt: skip
    staged.finish(RunReport(run_id="r2"), source="live", started_at=T0)
    load_staged(db, tmp_path / "staging")
    with connect(db, read_only=True) as con:
        row = con.execute("SELECT etag, error_streak, last_error FROM feeds").fetchone()
    assert row == ('"e1"', 1, "http 503")


def test_leftover_staged_runs_are_merged_oldest_first(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    stage(tmp_path, "r1", [article(1, text="old")])
    stage(tmp_path, "r2", [article(1, text="new", run="r2"), article(2, run="r2")])
    results = load_staged(db, tmp_path / "staging")
    assert [r.run_id for r in results] == ["r1", "r2"]
    with connect(db, read_only=True) as con:
        assert con.execute(
            "SELECT text FROM articles WHERE article_id = ?", [article(1).article_id]
        ).fetchone() == ("new",)


def test_unfinished_staging_is_not_merged_and_is_discarded_when_stale(tmp_path: Path) -> None:
    staged = StagedRun(tmp_path / "staging", "r1")
    staged.add_article(article(1))
    staged.flush()  # killed before finish(): no READY marker
    assert load_staged(tmp_path / "w.duckdb", tmp_path / "staging") == []
    assert staged.path.exists()  # a pass still staging is left alone
    later = time.time() + STALE_STAGING_SECONDS + 60
    assert discard_stale(tmp_path / "staging", now=later) == [staged.path]
    assert not staged.path.exists()


def test_a_held_lock_makes_the_loader_wait_then_fail_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(db)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        stage(tmp_path, "r1", [article(1)])
        with pytest.raises(
            WarehouseLocked, match=rf"w.duckdb: database is locked by .*PID {holder.pid}"
        ):
            load_staged(db, tmp_path / "staging", wait_seconds=0.5)
        assert len(pending_runs(tmp_path / "staging")) == 1  # kept for the next pass
    finally:
        holder.communicate("", timeout=10)
    (result,) = load_staged(db, tmp_path / "staging", wait_seconds=0.5)
    assert result.inserted == 1
