"""`newsdesk watch` stops within seconds of SIGTERM however big the cycle, and loses nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.config import PROJECT_ROOT
from pipeline.warehouse import connect

ITEMS = 160
PARAGRAPH = (
    "Negotiators met again on Tuesday to discuss the exchange of prisoners and the terms of a "
    "ceasefire along the front line, officials from both delegations said after the meeting. "
)


def feed(base: str) -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/a/{n}</link>"
        f"<guid>{base}/a/{n}</guid><description>Summary {n}</description></item>"
        for n in range(ITEMS)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def page(request: Request) -> Response:
    n = request.path.rsplit("/", 1)[-1]
    body = f"<html><body><article><h1>Story {n}</h1>" + f"<p>{PARAGRAPH}</p>" * 6 + "</article>"
    return Response(body + "</body></html>", content_type="text/html")


def articles(db: Path) -> int:
    with connect(db, read_only=True, wait_seconds=30) as con:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.timeout(240)
def test_sigterm_mid_cycle_stops_within_seconds_and_the_next_start_finishes(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/rss.xml").respond_with_data(
        feed(base), content_type="application/rss+xml"
    )
    httpserver.expect_request(re.compile(r"^/a/\d+$")).respond_with_handler(page)
    feeds = tmp_path / "feeds.csv"
    feeds.write_text(f"url,outlet\n{base}/rss.xml,Polite Host\n")
    db = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(
        NEWSDESK_DB=str(db), NEWSDESK_DATA_DIR=str(tmp_path / "data"),
        NEWSDESK_ALLOW_PRIVATE_HOSTS="1", NEWSDESK_WORKERS="1",
        NEWSDESK_MIN_HOST_DELAY="0.25",  # a polite host: 160 pages take 40 s
    )  # fmt: skip
    cmd = [sys.executable, "-m", "pipeline", "watch", "--feeds", str(feeds)]
    proc = subprocess.Popen(
        cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )

    def pages_fetched() -> int:
        return sum(1 for req, _ in httpserver.log if req.path.startswith("/a/"))

    deadline = time.monotonic() + 120
    while pages_fetched() < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[0].decode()
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - sent
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert stopped_in < 10, (stopped_in, text)
    assert "watch stopped (SIGTERM)" in text
    kept = articles(db)
    assert 0 < kept < ITEMS, text  # what finished was merged; the rest was abandoned
    # The next start polls the feed again in full (no 304) and fetches only what is missing.
    env["NEWSDESK_MIN_HOST_DELAY"] = "0"
    before = pages_fetched()
    again = subprocess.run(
        [*cmd, "--max-cycles", "1"], env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=180
    )
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    assert articles(db) == ITEMS
    assert pages_fetched() - before == ITEMS - kept
