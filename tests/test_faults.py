"""Every fault of the web, served on loopback, met by a whole pass: the pass finishes, each outcome
is recorded with a clear reason, what an earlier pass stored is intact, and time is bounded.

One module-scoped scenario runs two passes against fault servers: the first sees every feed
healthy and stores one article per feed; the second meets the faults, on feeds and on pages.
Each test then checks one fault's recorded outcome. docs/reliability.md lists them all.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faultserver import (
    FaultServer,
    Handler,
    SeenRequest,
    content,
    endless_chunked,
    gzip_bomb,
    hang_up,
    redirect,
    reset,
    respond,
    sequence,
    stall,
    status,
    trickle,
)

from pipeline.config import Settings
from pipeline.models import Feed
from pipeline.run import merge_and_update, stage_pass
from pipeline.warehouse import connect

NOW = datetime(2025, 5, 20, 12, tzinfo=UTC)
CAP = 256 * 1024
CONNECT, READ, TOTAL, RETRIES, RETRY_AFTER = 1.0, 0.5, 1.5, 1, 1
ATTEMPTS = RETRIES + 1
# One fetch: every attempt up to the total deadline, a Retry-After pause, and slack for a busy box.
FETCH_BOUND_S = ATTEMPTS * TOTAL + RETRY_AFTER + 4.0

PAGE = (
    "<html><head><title>Talks</title></head><body><article><h1>Talks</h1>"
    + "".join(
        f"<p>Paragraph {n} of an ordinary report on talks between delegations, which went on "
        f"for {n} hours without a breakthrough, officials said on Tuesday evening.</p>"
        for n in range(1, 7)
    )
    + "</article></body></html>"
).encode()
CYRILLIC_PAGE = (
    "<html><head><title>Переговори</title></head><body><article><h1>Переговори</h1>"
    + "".join(
        f"<p>Абзац {n}: делегації провели переговори в Стамбулі, які тривали {n} години "
        f"без прориву, повідомили посадовці у вівторок увечері.</p>"
        for n in range(1, 7)
    )
    + "</article></body></html>"
)


def rss(items: list[str], *, title: str = "Fault Gazette", encoding: str | None = "utf-8") -> str:
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    body = "".join(
        f"<item><title>Item {link.rsplit('/', 1)[-1]}</title><link>{link}</link>"
        f"<description>Summary of {link.rsplit('/', 1)[-1]}: talks went on.</description></item>"
        for link in items
    )
    return f'{decl}<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


def cyrillic_rss(link: str, *, encoding: str | None = "utf-8") -> str:
    """A Ukrainian feed: enough text for a charset to be recognised, as in real feeds."""
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    item = (
        f"<item><title>Переговори в Стамбулі</title><link>{link}</link><description>Делегації "
        "провели переговори, які тривали години без прориву, повідомили посадовці.</description>"
        "</item>"
    )
    return f'{decl}<rss version="2.0"><channel><title>Новини</title>{item}</channel></rss>'


XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><rss version="2.0"><channel><item><title>&lol9;</title>'
    b"<link>/page/bomb-item</link><description>Bomb item.</description></item></channel></rss>"
)
TRUNCATED = rss(["/page/trunc-1", "/page/trunc-2"]).encode()[:-40]


@dataclass(frozen=True, slots=True)
class Fault:
    name: str
    handler: Handler
    outcome: str  # feed: feed_fetches.outcome; page: articles.text_source
    reason: str | None  # regex the recorded error must match (None: no error)
    retry: bool | None = None  # page faults: whether the next pass fetches the page again


def _fixed(seconds: float) -> str:
    return f"{seconds:g}s"


# The read timeout fires first on an idle box; on a loaded one the total deadline may win.
TIMED_OUT = (
    rf"^timeout: (read timed out after {_fixed(READ)}|total time exceeded {_fixed(TOTAL)}) "
    rf"\(gave up after {ATTEMPTS} attempts\)$"
)


FEED_FAULTS = [
    Fault("stall_before_headers", stall, "error", TIMED_OUT),
    Fault("trickle_1_byte_per_s", trickle(total=100, interval=1.0), "error", TIMED_OUT),
    Fault("trickle_under_read_timeout", trickle(total=100_000, interval=0.1), "error",
          rf"^timeout: total time exceeded {_fixed(TOTAL)}"),
    Fault("connection_reset", reset, "error", r"^connection reset \(gave up after 2 attempts\)$"),
    Fault("closed_without_response", hang_up, "error", r"^connection closed by server"),
    Fault("http_429_retry_after_then_ok",
          sequence(status(429, {"Retry-After": str(RETRY_AFTER)}),
                   content(rss(["/page/base-http_429_retry_after_then_ok"]).encode(),
                           "application/rss+xml")), "ok", None),
    Fault("http_429_retry_after_over_cap", status(429, {"Retry-After": "3600"}), "error",
          r"^http 429 \(retry-after 3600s exceeds cap 5s\)$"),
    Fault("http_500", status(500), "error", r"^http 500 \(gave up after 2 attempts\)$"),
    Fault("http_502", status(502), "error", r"^http 502 \(gave up after 2 attempts\)$"),
    Fault("http_503", status(503, {"Retry-After": "0"}), "error",
          r"^http 503 \(gave up after 2 attempts\)$"),
    Fault("http_404", status(404), "error", r"^http 404$"),
    Fault("http_410_gone", status(410), "error", r"^http 410$"),
    Fault("redirect_loop", redirect("/feed/redirect_loop"), "error", r"^too many redirects \(4\)$"),
    Fault("redirect_to_private_address", redirect("http://10.0.0.7/feed.xml"), "error",
          r"^refused private address 10\.0\.0\.7$"),
    Fault("redirect_to_link_local_metadata", redirect("http://169.254.169.254/latest/meta-data/"),
          "error", r"^refused link-local address 169\.254\.169\.254$"),
    Fault("redirect_to_other_loopback", redirect("http://127.0.0.2:9/x"), "error",
          r"^refused loopback address 127\.0\.0\.2$"),
    Fault("redirect_to_file_scheme", redirect("file:///etc/passwd"), "error",
          r"^refused scheme 'file'$"),
    Fault("gzip_bomb", gzip_bomb(), "error", rf"^body exceeds {CAP} bytes$"),
    Fault("body_over_size_cap", content(b"<rss>" + b" " * (CAP + 10), "application/rss+xml"),
          "error", rf"^body exceeds {CAP} bytes$"),
    Fault("endless_chunked_body", endless_chunked(), "error", rf"^body exceeds {CAP} bytes$"),
    Fault("html_instead_of_feed", content(PAGE, "text/html; charset=utf-8"), "error",
          r"^HTML page served instead of a feed$"),
    Fault("xml_entity_expansion_bomb", content(XML_BOMB, "application/xml"), "ok",
          r"^DTD entity declarations ignored \(entity-expansion guard\)"),
    Fault("utf16_without_bom", content(
        cyrillic_rss("/page/u16-item", encoding="utf-16").encode("utf-16-le"),
        "application/rss+xml; charset=utf-8"), "ok", None),
    Fault("wrong_charset_header", content(
        cyrillic_rss("/page/cp-item").encode("cp1251"),
        "application/rss+xml; charset=utf-8"), "ok", None),
    Fault("missing_charset", content(
        cyrillic_rss("/page/nocs-item", encoding=None).encode("cp1251"), "text/xml"),
        "ok", None),
    Fault("empty_body", content(b"", "application/rss+xml"), "error", r"^empty body$"),
    Fault("binary_garbage", content(bytes(range(256)) * 8, "application/rss+xml"), "error",
          r"^(not a feed|malformed feed)"),
    Fault("truncated_feed", content(TRUNCATED, "application/rss+xml"), "ok",
          r"^malformed feed"),
]  # fmt: skip

PAGE_FAULTS = [
    Fault("stall_before_headers", stall, "feed_summary", TIMED_OUT, True),
    Fault("trickle_under_read_timeout", trickle(total=100_000, interval=0.1), "feed_summary",
          rf"^timeout: total time exceeded {_fixed(TOTAL)}", True),
    Fault("connection_reset", reset, "feed_summary", r"^connection reset", True),
    Fault("http_503", status(503), "feed_summary", r"^http 503 \(gave up after 2 attempts\)$",
          True),
    Fault("http_429_retry_after_over_cap", status(429, {"Retry-After": "3600"}), "feed_summary",
          r"^http 429 \(retry-after 3600s exceeds cap", True),
    Fault("http_404", status(404), "feed_summary", r"^http 404$", False),
    Fault("redirect_loop", redirect("/page/redirect_loop"), "feed_summary",
          r"^too many redirects", False),
    Fault("redirect_to_private_address", redirect("http://192.168.1.1/"), "feed_summary",
          r"^refused private address 192\.168\.1\.1$", False),
    Fault("redirect_to_link_local_metadata", redirect("http://169.254.169.254/"),
          "feed_summary", r"^refused link-local address", False),
    Fault("gzip_bomb", gzip_bomb(), "feed_summary", rf"^body exceeds {CAP} bytes$", False),
    Fault("body_over_size_cap", content(b"<html>" + b"a" * (CAP + 10), "text/html"),
          "feed_summary", rf"^body exceeds {CAP} bytes$", False),
    Fault("endless_chunked_body", endless_chunked(), "feed_summary", rf"^body exceeds {CAP}",
          False),
    Fault("feed_instead_of_html", content(rss(["/x"]).encode(), "application/rss+xml"),
          "feed_summary", r"^no readable text on page$", False),
    Fault("wrong_charset_header", content(CYRILLIC_PAGE.encode("cp1251"),
          "text/html; charset=utf-8"), "page", None, False),
    Fault("utf16_without_bom", content(CYRILLIC_PAGE.encode("utf-16-le"), "text/html"),
          "page", None, False),
]  # fmt: skip


@dataclass(slots=True)
class Observed:
    """What the scenario left behind, for the tests to check."""

    db: Path
    elapsed_s: float
    feeds: dict[str, dict[str, Any]]  # fault name -> feed_fetches row of the faulty pass
    feed_state: dict[str, dict[str, Any]]  # fault name -> feeds row after the faulty pass
    pages: dict[str, dict[str, Any]]  # page name -> articles row
    before: dict[str, tuple[Any, ...]]  # article_id -> row stored by the healthy pass
    after: dict[str, tuple[Any, ...]]
    report: dict[str, Any]  # runs.report of the faulty pass
    robots: dict[str, dict[str, Any]]  # "slow" / "huge" -> feed_fetches row
    robots_pages: dict[str, dict[str, Any]]


class Site:
    """Routes of the main fault server; `faulty` switches from the healthy to the faulty phase."""

    def __init__(self) -> None:
        self.faulty = False
        self.feed_faults = {f.name: f.handler for f in FEED_FAULTS}
        self.page_faults = {f.name: f.handler for f in PAGE_FAULTS}

    async def __call__(self, request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        path = request.path
        kind, _, name = path.strip("/").partition("/")
        if path == "/robots.txt":
            await respond(writer, 404)
        elif kind == "feed" and not self.faulty:
            body = rss([f"/page/base-{name}"]).encode()
            await respond(
                writer, 200, body, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}
            )
        elif kind == "feed":
            await self.feed_faults[name](request, writer)
        elif path == "/pages.xml":
            body = rss([f"/page/{f.name}" for f in PAGE_FAULTS]).encode()
            await respond(writer, 200, body, {"Content-Type": "application/rss+xml"})
        elif kind == "page" and name in self.page_faults:
            await self.page_faults[name](request, writer)
        else:
            await respond(writer, 200, PAGE, {"Content-Type": "text/html; charset=utf-8"})


HUGE_ROBOTS = b"User-agent: *\nDisallow: /private/\n" + b"# padding line\n" * 400_000


async def robots_site(robots: Handler, request: SeenRequest, writer: asyncio.StreamWriter) -> None:
    if request.path == "/robots.txt":
        await robots(request, writer)
    elif request.path == "/feed.xml":
        body = rss(["/private/members.html", "/open.html"]).encode()
        await respond(writer, 200, body, {"Content-Type": "application/rss+xml"})
    else:
        await respond(writer, 200, PAGE, {"Content-Type": "text/html; charset=utf-8"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dicts(db: Path, sql: str) -> list[dict[str, Any]]:
    with connect(db, read_only=True) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _snapshot(db: Path) -> dict[str, tuple[Any, ...]]:
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT article_id, url, content_hash, text_source, text, title FROM articles"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Iterator[Observed]:
    tmp = tmp_path_factory.mktemp("faults")
    base = Settings.from_env(env={})
    settings = replace(
        base, db_path=tmp / "faults.duckdb", data_dir=tmp / "data", workers=2, concurrency=32,
        lock_wait_seconds=5.0, write_warc=False,
        http=replace(
            base.http, allow_private_hosts=False, trusted_addresses=("127.0.0.1",),
            min_host_delay=0.0, per_host_concurrency=64, retries=RETRIES, backoff_base=0.05,
            backoff_cap=0.1, retry_after_cap=5.0, connect_timeout=CONNECT, read_timeout=READ,
            total_timeout=TOTAL, max_body_bytes=CAP, max_redirects=3,
        ),
    )  # fmt: skip
    site = Site()
    db = settings.db_path

    async def scenario() -> tuple[float, dict[str, str], dict[str, str], dict[str, Any]]:
        async with (
            FaultServer(site) as server,
            FaultServer(lambda r, w: robots_site(stall, r, w)) as slow,
            FaultServer(lambda r, w: robots_site(content(HUGE_ROBOTS, "text/plain"), r, w)) as huge,
        ):
            feeds = {f.name: server.url(f"/feed/{f.name}") for f in FEED_FAULTS}
            healthy = [Feed(url=u, outlet="Faults") for u in feeds.values()]
            await stage_pass(settings, feeds=healthy, run_id="healthy", now=NOW, pool=pool)
            await asyncio.to_thread(merge_and_update, db, settings.staging_dir)
            before = await asyncio.to_thread(_snapshot, db)
            site.faulty = True
            robots = {"slow": slow.url("/feed.xml"), "huge": huge.url("/feed.xml")}
            feeds["connection_refused"] = f"http://127.0.0.1:{_free_port()}/feed.xml"
            faulty = [
                *(Feed(url=u, outlet="Faults") for u in feeds.values()),
                Feed(url=server.url("/pages.xml"), outlet="Faults"),
                *(Feed(url=u, outlet=name) for name, u in robots.items()),
            ]
            started = time.monotonic()
            later = NOW + timedelta(hours=1)
            await stage_pass(settings, feeds=faulty, run_id="faulty", now=later, pool=pool)
            elapsed = time.monotonic() - started
            await asyncio.to_thread(merge_and_update, db, settings.staging_dir)
            return elapsed, feeds, robots, before

    elapsed, feed_urls, robots_urls, before = asyncio.run(scenario())
    fetches = {r["feed_url"]: r for r in _dicts(db, "SELECT * FROM feed_fetches")}
    state = {r["feed_url"]: r for r in _dicts(db, "SELECT * FROM feeds")}
    by_url = {r["url"].rsplit("/", 1)[-1]: r for r in _dicts(db, "SELECT * FROM articles")}
    report = json.loads(_dicts(db, "SELECT report FROM runs WHERE run_id = 'faulty'")[0]["report"])
    yield Observed(
        db=db,
        elapsed_s=elapsed,
        feeds={n: fetches[u] for n, u in feed_urls.items() if u in fetches},
        feed_state={n: state[u] for n, u in feed_urls.items() if u in state},
        pages=by_url,
        before=before,
        after=_snapshot(db),
        report=report,
        robots={n: fetches[u] for n, u in robots_urls.items()},
        robots_pages={n: by_url[n] for n in ("members.html", "open.html") if n in by_url},
    )


def _fault_id(fault: Fault) -> str:
    return fault.name


@pytest.mark.parametrize("fault", FEED_FAULTS, ids=_fault_id)
def test_feed_fault_is_recorded_with_a_clear_reason_in_bounded_time(
    observed: Observed, fault: Fault
) -> None:
    row = observed.feeds[fault.name]
    assert row["outcome"] == fault.outcome, row
    if fault.reason is None:
        assert row["error"] is None, row
    else:
        assert row["error"] is not None and re.search(fault.reason, row["error"]), row["error"]
    assert row["elapsed_ms"] <= FETCH_BOUND_S * 1000, row
    state = observed.feed_state[fault.name]
    # An error keeps the validators of the last good fetch and counts the streak.
    assert state["etag"] == '"v1"' or fault.outcome == "ok"
    assert state["error_streak"] == (1 if fault.outcome == "error" else 0)
    assert state["last_error"] == row["error"]


def test_connection_refused_is_a_transient_feed_error(observed: Observed) -> None:
    row = observed.feeds["connection_refused"]
    assert (row["outcome"], row["http_status"]) == ("error", 0)
    # robots.txt is the first request to a host, so that is where the refusal shows.
    assert re.match(r"^robots.txt unavailable: connection refused \(gave up after 2", row["error"])


@pytest.mark.parametrize("fault", PAGE_FAULTS, ids=_fault_id)
def test_page_fault_falls_back_to_the_summary_with_a_clear_reason(
    observed: Observed, fault: Fault
) -> None:
    row = observed.pages[fault.name]
    assert row["text_source"] == fault.outcome, row
    if fault.reason is None:
        assert row["page_error"] is None, row
    else:
        assert row["page_error"] and re.search(fault.reason, row["page_error"]), row["page_error"]
    assert row["page_retry"] is fault.retry


def test_charset_faults_in_feeds_decode_to_the_right_text(observed: Observed) -> None:
    for name, page in [("utf16_without_bom", "u16-item"), ("wrong_charset_header", "cp-item"),
                       ("missing_charset", "nocs-item")]:  # fmt: skip
        assert observed.feed_state[name]["title"] == "Новини", name
        assert observed.pages[page]["summary"].startswith("Делегації провели переговори"), name


def test_page_with_a_wrong_charset_header_decodes_to_the_right_text(observed: Observed) -> None:
    assert "делегації провели переговори" in observed.pages["wrong_charset_header"]["text"]


def test_utf16_page_without_bom_decodes_to_the_right_text(observed: Observed) -> None:
    assert "делегації провели переговори" in observed.pages["utf16_without_bom"]["text"]


def test_slow_robots_txt_refuses_the_host_for_this_pass_within_the_timeouts(
    observed: Observed,
) -> None:
    row = observed.robots["slow"]
    assert row["outcome"] == "error"
    assert row["error"].startswith("robots.txt unavailable: timeout")
    assert row["elapsed_ms"] <= 2 * FETCH_BOUND_S * 1000


def test_huge_robots_txt_is_read_to_500_kib_and_still_obeyed(observed: Observed) -> None:
    assert observed.robots["huge"]["outcome"] == "ok"
    assert observed.robots_pages["open.html"]["text_source"] == "page"
    members = observed.robots_pages["members.html"]
    assert (members["text_source"], members["page_error"]) == (
        "feed_summary",
        "blocked by robots.txt",
    )


def test_the_faulty_pass_finishes_within_the_configured_timeouts(observed: Observed) -> None:
    # robots.txt, then the feed, then its pages: three fetches in a row, each bounded.
    assert observed.elapsed_s < 3 * FETCH_BOUND_S, observed.elapsed_s


def test_nothing_stored_by_the_healthy_pass_is_lost_or_changed(observed: Observed) -> None:
    assert len(observed.before) == len(FEED_FAULTS)
    for article_id, row in observed.before.items():
        assert observed.after[article_id] == row


def test_skip_reasons_of_the_faulty_pass_are_counted_in_runs_report(observed: Observed) -> None:
    skipped = observed.report["skipped"]
    transient = sum(1 for f in PAGE_FAULTS if f.retry and f.outcome == "feed_summary")
    failed = sum(1 for f in PAGE_FAULTS if f.retry is False and f.reason and "^no" not in f.reason)
    # Counted by the typed reason of each failure; transient ones are retried by later passes.
    pages = {k: n for k, n in skipped.items() if k.startswith("page_")}
    retried = ("page_transient", "page_robots_unavailable")
    assert sum(pages.get(k, 0) for k in retried) == transient
    assert pages["page_robots"] == 1  # the page blocked by the huge robots.txt
    assert sum(n for k, n in pages.items() if k not in retried) == failed + 1
    # Feeds read with a warning (repaired, truncated) count as ok, once each.
    errors = sum(1 for f in FEED_FAULTS if f.outcome == "error") + 2  # + refused, slow robots
    assert observed.report["feeds_error"] == errors
    # The same reasons per feed: all the page faults came through the pages feed.
    by_feed = observed.report["skipped_by_feed"]
    pages_feed = next(url for url in by_feed if url.endswith("/pages.xml"))
    per_feed = {k: n for k, n in by_feed[pages_feed].items() if k.startswith("page_")}
    assert sum(per_feed.get(k, 0) for k in retried) == transient
    assert sum(n for k, n in per_feed.items() if k not in retried) == failed
