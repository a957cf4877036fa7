"""A whole pass against a server that stalls, trickles, resets and streams without end."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime

from faultserver import FaultServer, SeenRequest, endless_chunked, reset, respond, stall, trickle

from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.run import merge_and_update, stage_pass
from pipeline.warehouse import connect

NOW = datetime(2025, 5, 20, 12, tzinfo=UTC)
PAGE = (
    "<html><head><title>Fine</title></head><body><article><h1>Fine</h1>"
    + "".join(
        f"<p>Paragraph {n} of a perfectly ordinary report about talks between delegations, "
        f"which went on for {n} hours without a breakthrough, officials said.</p>"
        for n in range(1, 7)
    )
    + "</article></body></html>"
).encode()
FAULTS = {"/stall": stall, "/reset": reset, "/trickle": trickle(total=10_000, interval=0.2),
          "/chunked": endless_chunked()}  # fmt: skip


async def route(request: SeenRequest, writer: asyncio.StreamWriter) -> None:
    if request.path == "/robots.txt":
        await respond(writer, 404)
    elif request.path == "/feed.xml":
        items = "".join(
            f"<item><title>{p[1:]}</title><link>/{p[1:]}</link>"
            f"<description>Summary of {p[1:]}.</description></item>"
            for p in [*FAULTS, "/ok"]
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
        await respond(writer, 200, body.encode(), {"Content-Type": "application/rss+xml"})
    elif request.path in FAULTS:
        await FAULTS[request.path](request, writer)
    else:
        await respond(writer, 200, PAGE, {"Content-Type": "text/html; charset=utf-8"})


def test_network_faults_become_recorded_outcomes_within_the_timeouts(
    settings: Settings, pool: Executor
) -> None:
    settings = replace(
        settings,
        http=replace(
            settings.http, read_timeout=0.5, total_timeout=1.5, retries=1,
            max_body_bytes=1024 * 1024,
        ),
    )  # fmt: skip

    async def scenario() -> float:
        async with FaultServer(route) as server:
            feeds = [Feed(url=server.url("/feed.xml"), outlet="Faulty")]
            started = time.monotonic()
            await stage_pass(settings, feeds=feeds, run_id="faults", now=NOW, pool=pool)
            return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    # Every page is bounded by total_timeout per attempt, two attempts, pages in parallel.
    assert elapsed < 2 * 1.5 * 2 + 5
    merge_and_update(settings.db_path, settings.staging_dir)
    with connect(settings.db_path, read_only=True) as con:
        rows = con.execute(
            "SELECT url, text_source, page_error, page_retry FROM articles ORDER BY url"
        ).fetchall()
    got = {url.rsplit("/", 1)[-1]: (source, error, retry) for url, source, error, retry in rows}
    assert got["ok"][0] == "page"
    assert got["stall"] == (
        "feed_summary",
        "timeout: read timed out after 0.5s (gave up after 2 attempts)",
        True,
    )
    assert got["reset"][0] == "feed_summary" and got["reset"][2] is True
    assert got["reset"][1].startswith("connection")
    assert got["trickle"][0] == "feed_summary" and got["trickle"][1].startswith("timeout")
    assert got["chunked"] == ("feed_summary", "body exceeds 1048576 bytes", False)
    # The next pass fetches again exactly the pages that failed transiently.
    from pipeline.warehouse import read_state

    done = read_state(settings.db_path).done_ids
    with connect(settings.db_path, read_only=True) as con:
        sql = "SELECT split_part(url, '/', -1), article_id FROM articles"
        ids = dict(con.execute(sql).fetchall())
    assert {name for name, key in ids.items() if key not in done} == {"stall", "reset", "trickle"}
