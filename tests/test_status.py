"""`newsdesk status`: failing and silent feeds, the last runs with skip reasons, per-feed counts."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Executor
from datetime import UTC, datetime, timedelta

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.run import merge_and_update, new_run_id, stage_pass
from pipeline.status import read_status
from pipeline.warehouse import connect

PAGE = (
    "<html><body><article><p>"
    + "Delegations met for talks in Istanbul. " * 30
    + "</p></article></body></html>"
)


def _feed(link: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Talks'
        f"</title><link>{link}</link><description>Talks went on.</description></item>"
        "</channel></rss>"
    )


def test_status_shows_failing_and_silent_feeds_and_the_runs_with_skip_reasons(
    httpserver: HTTPServer, settings: Settings, pool: Executor, monkeypatch: object
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/ok.xml").respond_with_data(
        _feed(httpserver.url_for("/a/1")), content_type="application/rss+xml"
    )
    httpserver.expect_request("/a/1").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/quiet.xml").respond_with_data(
        _feed(httpserver.url_for("/a/2")), content_type="application/rss+xml"
    )
    httpserver.expect_request("/a/2").respond_with_data("gone", status=410)
    httpserver.expect_request("/down.xml").respond_with_data("down", status=503)
    feeds = [Feed(url=httpserver.url_for(f"/{n}.xml"), outlet=n) for n in ("ok", "quiet", "down")]
    for _ in range(3):  # three passes: the dead feed's error streak reaches 3
        now = datetime.now(UTC)
        asyncio.run(stage_pass(settings, feeds=feeds, run_id=new_run_id(now), now=now, pool=pool))
        merge_and_update(settings.db_path, settings.staging_dir)
    with connect(settings.db_path) as con:  # the quiet feed last brought news four days ago
        con.execute(
            "UPDATE feeds SET last_new_at = ?, added_at = ? WHERE feed_url LIKE '%/quiet.xml'",
            [now - timedelta(days=4), now - timedelta(days=30)],
        )

    status = read_status(settings.db_path, runs=2)
    by_feed = {f["feed_url"].rsplit("/", 1)[-1]: f for f in status.feeds}
    assert by_feed["down.xml"]["status"] == "failing"
    assert by_feed["down.xml"]["error_streak"] == 3
    assert by_feed["down.xml"]["last_error"].startswith("http 503")
    assert by_feed["down.xml"]["last_success"] is None
    assert by_feed["quiet.xml"]["status"] == "silent"
    assert "ok.xml" not in by_feed
    assert status.problems == 2
    assert len(status.runs) == 2
    first = read_status(settings.db_path, runs=3).runs[-1]
    assert first["feeds_error"] == 1 and first["skipped"] == {"page_http": 1}
    with connect(settings.db_path, read_only=True) as con:
        per_feed = con.execute(
            "SELECT count(*), count(DISTINCT run_id) FROM feed_fetches"
        ).fetchone()
    assert per_feed == (9, 3)  # every pass wrote one row per feed

    env = {"NEWSDESK_DB": str(settings.db_path)}
    runner = CliRunner()
    as_json = runner.invoke(app, ["status", "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert {f["status"] for f in data["feeds"]} == {"failing", "silent"}
    table = runner.invoke(app, ["status", "--check"], env=env)
    assert table.exit_code == 1
    assert "failing" in table.output and "silent" in table.output and "Last runs" in table.output
    missing = runner.invoke(app, ["status"], env={"NEWSDESK_DB": str(settings.db_path) + ".nope"})
    assert missing.exit_code == 2 and "no database yet" in missing.output
