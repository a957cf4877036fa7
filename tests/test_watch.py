"""`newsdesk watch`: adaptive per-feed intervals, publisher hints, clean stops, one watcher per DB.

The child-process tests run the real command against the demo corpus served on loopback and send
real signals; the in-process tests use a real HTTP server and a real DuckDB file.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from pipeline.config import PROJECT_ROOT, Settings
from pipeline.demo import DEMO_DIR, serve_corpus
from pipeline.models import Feed
from pipeline.warehouse import connect
from pipeline.watch import (
    Hints,
    StopFlag,
    WatchLocked,
    cache_max_age,
    next_interval,
    parse_until,
    watch,
    watch_lock,
)

BOUNDS = (300.0, 86400.0)
EXPECTED = __import__("json").loads((DEMO_DIR / "expected.json").read_text())


# --- the interval rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "items_new", "hints", "expected"),
    [
        ("ok", 3, Hints(), (600.0, "new-items")),
        ("ok", 0, Hints(), (1800.0, "no-new-items")),
        ("not_modified", 0, Hints(), (1800.0, "not-modified")),
        ("error", 0, Hints(), (2400.0, "error")),
        ("ok", 3, Hints(ttl=3600.0), (3600.0, "ttl")),
        ("ok", 3, Hints(update_period=1800.0), (1800.0, "sy:updatePeriod")),
        ("not_modified", 0, Hints(max_age=7200.0), (7200.0, "cache-control")),
        ("error", 0, Hints(retry_after=9000.0), (9000.0, "retry-after")),
        ("ok", 0, Hints(ttl=10 * 86400.0), (86400.0, "ttl")),  # never beyond 24 h
    ],
)
def test_next_interval_adapts_to_new_items_and_honours_publisher_hints(
    outcome: str, items_new: int, hints: Hints, expected: tuple[float, str]
) -> None:
    assert next_interval(1200.0, outcome=outcome, items_new=items_new, hints=hints,
                         bounds=BOUNDS) == expected  # fmt: skip


def test_interval_stays_between_five_minutes_and_a_day() -> None:
    interval = 300.0
    for _ in range(30):  # a feed that never changes slows down to the daily maximum
        interval, _ = next_interval(interval, outcome="not_modified", items_new=0, hints=Hints(),
                                    bounds=BOUNDS)  # fmt: skip
    assert interval == 86400.0
    for _ in range(30):  # a busy feed speeds up to the floor, never below
        interval, _ = next_interval(interval, outcome="ok", items_new=5, hints=Hints(),
                                    bounds=BOUNDS)  # fmt: skip
    assert interval == 300.0


def test_cache_control_and_until_parsing() -> None:
    assert cache_max_age("public, max-age=600") == 600.0
    assert cache_max_age('s-maxage="120", no-transform') == 120.0
    assert cache_max_age("no-cache") is None
    now = datetime(2025, 5, 20, 12, tzinfo=UTC)
    assert parse_until("90s", now=now) == now + timedelta(seconds=90)
    assert parse_until("2h", now=now) == now + timedelta(hours=2)
    assert parse_until("2025-05-21T00:00:00", now=now) == datetime(2025, 5, 21, tzinfo=UTC)


# --- in process, real server and database ---------------------------------------------------


def _feed(link: str, channel_extra: str = "") -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>T</title>'
        f"{channel_extra}<item><title>Talks</title><link>{link}</link>"
        "<description>Delegations met for talks that went on for hours.</description></item>"
        "</channel></rss>"
    )


def test_publisher_hints_set_each_feeds_interval_and_a_restart_keeps_them(
    httpserver: HTTPServer, settings: Settings
) -> None:
    page = (
        "<html><body><article><p>"
        + "Talks went on for hours. " * 40
        + "</p></article></body></html>"
    )
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    cases = {
        "ttl": ("<ttl>90</ttl>", {}),
        "sy": ("<sy:updatePeriod>hourly</sy:updatePeriod>"
               "<sy:updateFrequency>2</sy:updateFrequency>", {}),
        "maxage": ("", {"Cache-Control": "public, max-age=7200"}),
    }  # fmt: skip
    for name, (extra, headers) in cases.items():
        body = _feed(httpserver.url_for(f"/p/{name}"), extra)
        httpserver.expect_request(f"/{name}.xml").respond_with_data(
            body, content_type="application/rss+xml", headers=headers
        )
        httpserver.expect_request(f"/p/{name}").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/busy.xml").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3000"}
    )
    settings = replace(
        settings, watch_min_interval=1.0, watch_max_interval=86400.0, write_warc=False
    )
    feeds = [Feed(url=httpserver.url_for(f"/{n}.xml"), outlet=n) for n in [*cases, "busy"]]
    report = watch(settings, feeds, max_cycles=1)
    assert (report.cycles, report.stopped_by, report.feeds_polled) == (1, "max-cycles", 4)
    with connect(settings.db_path, read_only=True) as con:
        rows = con.execute("SELECT feed_url, interval_s, reason FROM feed_schedule").fetchall()
    got = {url.rsplit("/", 1)[-1]: (interval, reason) for url, interval, reason in rows}
    assert got == {
        "ttl.xml": (5400.0, "ttl"),
        "sy.xml": (1800.0, "sy:updatePeriod"),
        "maxage.xml": (7200.0, "cache-control"),
        "busy.xml": (3000.0, "retry-after"),
    }
    # A restart reads the schedule: nothing is due for the next hour, so no cycle runs.
    again = watch(settings, feeds, until=datetime.now(UTC) + timedelta(seconds=1))
    assert (again.cycles, again.stopped_by) == (0, "until")
    assert again.intervals == report.intervals


def test_a_second_watcher_on_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    refused = rf"running on this database \(PID {os.getpid()}\)"
    with watch_lock(db), pytest.raises(WatchLocked, match=refused), watch_lock(db):
        pass
    with watch_lock(db):  # released on exit
        pass


def test_stop_flag_wakes_a_sleep_at_once() -> None:
    stop = StopFlag()
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    previous = signal.signal(signal.SIGALRM, lambda *_: stop.set("SIGALRM"))
    try:
        stop.sleep(10)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert stop.reason == "SIGALRM"
    assert time.monotonic() - started < 2


# --- the real command in a child process ----------------------------------------------------


def _write_feeds(path: Path, feeds: list[Feed]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["outlet", "url", "country", "language"])
        writer.writerows([f.outlet, f.url, f.country, f.language] for f in feeds)


def _env(tmp: Path, feeds: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")},
        "NEWSDESK_DB": str(tmp / "watch.duckdb"),
        "NEWSDESK_DATA_DIR": str(tmp / "data"),
        "NEWSDESK_FEEDS": str(feeds),
        "NEWSDESK_ALLOW_PRIVATE_HOSTS": "1",
        "NEWSDESK_MIN_HOST_DELAY": "0",
        "NEWSDESK_WORKERS": "1",
        "NEWSDESK_WRITE_WARC": "0",
        "NEWSDESK_WATCH_MIN_INTERVAL": "1",
        "NEWSDESK_WATCH_MAX_INTERVAL": "3600",
        "NEWSDESK_LOCK_WAIT": "10",
    }


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "watch", *args],
        env=env, cwd=PROJECT_ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if re.search(pattern, text):
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"{pattern!r} not seen in the log:\n{log.read_text()[-3000:]}")


def _wait_until_idle(log: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until the last cycle logged is done (the watcher sleeps until the next feed is due)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        marks = re.findall(r"cycle \d+ (started|done)", log.read_text(errors="replace"))
        if marks and marks[-1] == "done":
            return
        time.sleep(0.02)
    raise AssertionError("the watcher never went idle")


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with connect(db, read_only=True, wait_seconds=10) as con:
        return con.execute(sql).fetchall()


def test_sigterm_mid_cycle_merges_what_finished_then_exits_0(tmp_path: Path) -> None:
    with serve_corpus() as corpus:
        feeds = tmp_path / "feeds.csv"
        _write_feeds(feeds, corpus.feeds)
        env = _env(tmp_path, feeds)
        log = tmp_path / "watch.log"
        proc = _start(env, log)
        _wait_for(log, r"cycle 1 started", proc)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        exit_s = time.monotonic() - signalled
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "SIGTERM received" in text and "watch stopped (SIGTERM): 1 cycles" in text
    assert exit_s < 10, text[-3000:]
    db = Path(env["NEWSDESK_DB"])
    ((stored, distinct),) = _rows(
        db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles"
    )
    assert stored == distinct <= EXPECTED["articles_stored"]  # what finished, once each
    # At most the one cycle's run, merged (none when the signal came before it fetched).
    ((runs, unloaded),) = _rows(
        db, "SELECT count(*), count(*) FILTER (status <> 'loaded') FROM runs"
    )
    assert runs <= 1 and unloaded == 0
    assert not list((tmp_path / "data" / "staging").glob("*"))  # merged and cleaned up
    print(f"SIGTERM mid-cycle to exit: {exit_s:.1f}s")


def test_watch_adapts_intervals_refuses_a_second_instance_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    with serve_corpus() as corpus:
        feeds = tmp_path / "feeds.csv"
        _write_feeds(feeds, corpus.feeds)
        env = _env(tmp_path, feeds)
        log = tmp_path / "watch.log"
        proc = _start(env, log, "--until", "10m")
        _wait_for(log, r"cycle 4 done", proc, timeout=120)
        second_log = tmp_path / "second.log"
        second = _start(env, second_log)
        assert second.wait(timeout=60) == 2
        refusal = second_log.read_text()
        assert f"another `newsdesk watch` is running on this database (PID {proc.pid})" in refusal
        _wait_until_idle(log, proc)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        exit_s = time.monotonic() - signalled
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert "watch stopped (SIGINT)" in text
    db = Path(env["NEWSDESK_DB"])
    assert _rows(db, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [
        (EXPECTED["articles_stored"], EXPECTED["articles_stored"])
    ]
    schedule = dict(_rows(db, "SELECT feed_url, interval_s FROM feed_schedule"))
    not_modified = {
        url for (url,) in _rows(db, "SELECT DISTINCT feed_url FROM feed_fetches "
                                    "WHERE outcome = 'not_modified'")
    }  # fmt: skip
    assert not_modified, "the demo server answers repeated polls with 304"
    # Feeds answering 304 were slowed down from the 1 s floor; the one with <ttl> sits at its ttl.
    assert all(schedule[url] > 1.0 for url in not_modified)
    reasons = dict(_rows(db, "SELECT feed_url, reason FROM feed_schedule"))
    ttl_feed = next(url for url in schedule if url.endswith("/rss.xml"))  # carries <ttl>
    assert reasons[ttl_feed] == "ttl" and schedule[ttl_feed] >= 60.0
    runs = _rows(db, "SELECT count(*) FROM runs")[0][0]
    assert runs >= 4
    print(
        f"intervals after {runs} cycles: {sorted(schedule.values())}; SIGINT to exit {exit_s:.1f}s"
    )
    assert exit_s < 30


def test_a_merge_blocked_by_an_analyst_is_postponed_to_the_next_cycle(
    httpserver: HTTPServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(settings, watch_min_interval=0.5, lock_wait_seconds=0.5, write_warc=False)
    page = (
        "<html><body><article><p>"
        + "Talks went on for hours. " * 40
        + "</p></article></body></html>"
    )
    analyst: list[subprocess.Popen[bytes]] = []

    def feed_handler(_request: Any) -> Any:
        from werkzeug import Response

        # The first poll: an analyst opens the warehouse (read-only) and keeps it open through
        # the merge of cycle 1; the second poll: the analyst has gone home.
        if not analyst:
            proc = subprocess.Popen(
                [sys.executable, "-c", "import duckdb, sys, time; "
                 "c = duckdb.connect(sys.argv[1], read_only=True); print('open', flush=True); "
                 "time.sleep(60)", str(settings.db_path)],
                stdout=subprocess.PIPE,
            )  # fmt: skip
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"open"
            analyst.append(proc)
        else:
            analyst[0].kill()
            analyst[0].wait()
        return Response(_feed(httpserver.url_for("/p/1")), content_type="application/rss+xml")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/feed.xml").respond_with_handler(feed_handler)
    httpserver.expect_request("/p/1").respond_with_data(page, content_type="text/html")
    feeds = [Feed(url=httpserver.url_for("/feed.xml"), outlet="Late")]
    try:
        with caplog.at_level("INFO", logger="pipeline.watch"):
            report = watch(settings, feeds, max_cycles=2)
    finally:
        for proc in analyst:
            proc.kill()
            proc.wait()
    assert report.cycles == 2
    assert "cycle 1: merge postponed" in caplog.text and "database is locked" in caplog.text
    with connect(settings.db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    assert list(settings.staging_dir.iterdir()) == []
