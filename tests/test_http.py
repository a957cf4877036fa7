"""The HTTP layer against real servers on 127.0.0.1: pytest-httpserver and a raw fault server."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import itertools
import random
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.http import (
    FetchResult,
    Http,
    HttpConfig,
    HttpStats,
    address_refusal,
    backoff_delay,
    parse_retry_after,
)
from tests.faultserver import (
    FaultServer,
    Handler,
    endless_chunked,
    hang_up,
    ok,
    reset,
    slow_ok,
    stall,
    trickle,
)

pytestmark = pytest.mark.timeout(20)

T = TypeVar("T")
UA = HttpConfig().user_agent


@pytest.fixture(scope="module")
def _loopback_httpserver() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)  # not "localhost": it may resolve to ::1
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def httpserver(_loopback_httpserver: HTTPServer) -> HTTPServer:
    """pytest-httpserver's server, but always on 127.0.0.1 and private to this module."""
    _loopback_httpserver.clear()
    return _loopback_httpserver


def config(**overrides: Any) -> HttpConfig:
    """Test settings: loopback allowed, robots off, tiny delays and timeouts."""
    values: dict[str, Any] = {
        "allow_private_hosts": True,
        "respect_robots": False,
        "min_host_delay": 0.0,
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 3.0,
        "retries": 2,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "retry_after_cap": 2.0,
    }
    values.update(overrides)
    return HttpConfig(**values)


class LoopbackOnly(httpx.AsyncBaseTransport):
    """The real transport, but the test fails if a request heads anywhere but loopback."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url))
        host = request.url.host
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"test tried to reach a non-loopback host: {request.url}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def run(coro: Awaitable[T]) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(15):
            return await coro

    return asyncio.run(bounded())


def fetch(cfg: HttpConfig, url: str, **kwargs: Any) -> tuple[FetchResult, HttpStats]:
    async def go() -> tuple[FetchResult, HttpStats]:
        async with Http(cfg) as http:
            return await http.get(url, **kwargs), http.stats

    return run(go())


def against(handler: Handler, scenario: Callable[[FaultServer], Awaitable[T]]) -> T:
    """Run `scenario(server)` against a FaultServer answering with `handler`."""

    async def go() -> T:
        async with FaultServer(handler) as server:
            return await scenario(server)

    return run(go())


def paths(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


# -- success, conditional GET -------------------------------------------------------------------


def test_get_returns_body_headers_validators_and_timing(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Apr 2025 10:00:00 GMT"}
    )
    before = datetime.now(UTC)
    result, stats = fetch(config(), httpserver.url_for("/feed.xml"))
    assert result.ok and not result.not_modified
    assert (result.status, result.body, result.error) == (200, b"<rss/>", None)
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 01 Apr 2025 10:00:00 GMT"
    assert result.headers["etag"] == '"v1"'  # lower-cased names
    assert result.url == result.final_url == httpserver.url_for("/feed.xml")
    assert result.fetched_at.tzinfo is not None and result.fetched_at >= before
    assert result.attempts == 1 and result.elapsed_ms >= 0
    assert stats.requests == 1 and stats.failures == 0


def test_conditional_get_with_etag_returns_304(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(b"<rss/>", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    url = httpserver.url_for("/feed.xml")
    first, _ = fetch(config(), url)
    second, stats = fetch(config(), url, etag=first.etag)
    assert first.ok and first.etag == '"v1"'
    assert second.not_modified and not second.ok
    assert (second.status, second.body, second.error, second.etag) == (304, b"", None, '"v1"')
    assert stats.not_modified == 1 and stats.failures == 0


def test_conditional_get_with_last_modified_returns_304(httpserver: HTTPServer) -> None:
    stamp = "Tue, 01 Apr 2025 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(b"<rss/>", headers={"Last-Modified": stamp})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    url = httpserver.url_for("/feed.xml")
    first, _ = fetch(config(), url)
    second, _ = fetch(config(), url, last_modified=first.last_modified)
    assert first.last_modified == stamp
    # The 304 carried no validators: the caller's are handed back so its state stays valid.
    assert second.not_modified and second.last_modified == stamp and second.etag is None


def test_unencodable_validators_fall_back_to_a_plain_get(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>")
    result, _ = fetch(config(), httpserver.url_for("/feed.xml"), etag='"caf\u00e9"')
    assert result.ok
    request, _ = httpserver.log[0]
    assert "If-None-Match" not in request.headers


def test_user_agent_and_accept_are_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/page", headers={"User-Agent": UA, "Accept": "application/rss+xml"}
    ).respond_with_data("ok")
    result, _ = fetch(config(), httpserver.url_for("/page"), accept="application/rss+xml")
    assert result.ok, result.error
    assert "newsdesk" in UA and "+https://" in UA


def test_gzip_body_is_decoded(httpserver: HTTPServer) -> None:
    text = b"<p>hello</p>" * 1000
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(text), headers={"Content-Encoding": "gzip"}
    )
    result, _ = fetch(config(), httpserver.url_for("/gz"))
    assert result.ok and result.body == text


def test_http2_client_still_talks_http1_to_plain_http(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data("ok")
    result, _ = fetch(config(http2=True), httpserver.url_for("/page"))
    assert result.ok and result.body == b"ok"


# -- retries ------------------------------------------------------------------------------------


def test_429_with_retry_after_waits_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/page").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/page").respond_with_data("ok")
    result, stats = fetch(config(), httpserver.url_for("/page"))
    assert result.ok and result.body == b"ok"
    assert result.attempts == 2 and stats.retries == 1
    assert result.elapsed_ms >= 950  # Retry-After: 1 honoured, not the 10 ms backoff


def test_retry_after_beyond_cap_gives_up_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    result, stats = fetch(config(retry_after_cap=5.0), httpserver.url_for("/page"))
    assert result.status == 429 and result.attempts == 1 and stats.retries == 0
    assert result.error == "http 429 (retry-after 3600s exceeds cap 5s)"


def test_503_repeatedly_gives_up_with_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data("down", status=503)
    result, stats = fetch(config(retries=2), httpserver.url_for("/page"))
    assert not result.ok and result.status == 503 and result.body == b""
    assert result.error == "http 503 (gave up after 3 attempts)"
    assert result.attempts == 3 and stats.retries == 2 and stats.failures == 1
    assert paths(httpserver) == ["/page"] * 3


def test_404_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    result, stats = fetch(config(retries=3), httpserver.url_for("/gone"))
    assert (result.status, result.error, result.attempts) == (404, "http 404", 1)
    assert stats.retries == 0 and len(httpserver.log) == 1


def test_connection_reset_is_retried_then_reported() -> None:
    async def scenario(server: FaultServer) -> tuple[FetchResult, int]:
        async with Http(config(retries=2)) as http:
            return await http.get(server.url("/page")), len(server.requests)

    result, seen = against(reset, scenario)
    assert result.status == 0 and result.attempts == 3 and seen == 3
    assert result.error == "connection reset (gave up after 3 attempts)"


def test_connection_closed_without_response_is_reported() -> None:
    async def scenario(server: FaultServer) -> FetchResult:
        async with Http(config(retries=1)) as http:
            return await http.get(server.url("/page"))

    result = against(hang_up, scenario)
    assert result.error == "connection closed by server (gave up after 2 attempts)"


def test_connection_refused_is_reported() -> None:
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, _ = fetch(config(retries=1), f"http://127.0.0.1:{port}/")
    assert result.status == 0 and result.attempts == 2
    assert result.error == "connection refused (gave up after 2 attempts)"


# -- timeouts -----------------------------------------------------------------------------------


def test_stall_before_headers_times_out_within_bound() -> None:
    async def scenario(server: FaultServer) -> tuple[FetchResult, float]:
        started = time.monotonic()
        async with Http(config(read_timeout=0.3, retries=1)) as http:
            result = await http.get(server.url("/page"))
        return result, time.monotonic() - started

    result, elapsed = against(stall, scenario)
    assert result.status == 0 and result.attempts == 2
    assert result.error == "timeout: read timed out after 0.3s (gave up after 2 attempts)"
    assert 0.6 <= elapsed < 2.0


def test_trickled_body_hits_the_total_deadline() -> None:
    async def scenario(server: FaultServer) -> tuple[FetchResult, float]:
        started = time.monotonic()
        cfg = config(read_timeout=1.0, total_timeout=0.5, retries=0)
        async with Http(cfg) as http:
            result = await http.get(server.url("/page"))
        return result, time.monotonic() - started

    result, elapsed = against(trickle(total=10_000, interval=0.05), scenario)
    assert result.error == "timeout: total time exceeded 0.5s"
    assert result.status == 0 and result.body == b""
    assert elapsed < 1.5


# -- body caps ----------------------------------------------------------------------------------


def test_endless_body_is_cut_off_at_the_cap_while_streaming() -> None:
    async def scenario(server: FaultServer) -> tuple[FetchResult, float]:
        started = time.monotonic()
        async with Http(config(max_body_bytes=256 * 1024, retries=0)) as http:
            result = await http.get(server.url("/big"))
        return result, time.monotonic() - started

    result, elapsed = against(endless_chunked(), scenario)
    assert result.status == 200 and not result.ok and result.body == b""
    assert result.error == "body exceeds 262144 bytes"
    assert elapsed < 2.0


def test_declared_length_over_cap_is_refused_before_reading(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 300_000)
    result, _ = fetch(config(max_body_bytes=100_000), httpserver.url_for("/big"))
    assert result.error == "body exceeds 100000 bytes" and result.attempts == 1


def test_gzip_bomb_is_aborted_at_the_decoded_cap(httpserver: HTTPServer) -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < cap  # only the decoded size can trip the cap
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    result, _ = fetch(config(max_body_bytes=cap), httpserver.url_for("/bomb"))
    assert result.error == f"body exceeds {cap} bytes" and result.body == b""


# -- redirects ----------------------------------------------------------------------------------


def test_redirect_chain_is_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data(
        "", 301, {"Location": httpserver.url_for("/c")}
    )
    httpserver.expect_request("/c").respond_with_data("final", headers={"ETag": '"c"'})
    result, stats = fetch(config(), httpserver.url_for("/a"))
    assert result.ok and result.body == b"final" and result.etag == '"c"'
    assert result.url == httpserver.url_for("/a")
    assert result.final_url == httpserver.url_for("/c")
    assert stats.redirects == 2 and paths(httpserver) == ["/a", "/b", "/c"]


def test_redirect_loop_stops_at_the_limit(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data("", 302, {"Location": "/loop"})
    result, _ = fetch(config(max_redirects=3), httpserver.url_for("/loop"))
    assert result.error == "too many redirects (4)" and result.status == 302
    assert paths(httpserver) == ["/loop"] * 4


def test_redirect_to_other_scheme_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", 302, {"Location": "ftp://x.test/f"})
    result, stats = fetch(config(), httpserver.url_for("/a"))
    assert result.error == "refused scheme 'ftp'" and stats.refused == 1


# -- address refusal (nothing is ever sent to these hosts) --------------------------------------

REFUSED = [
    ("http://10.0.0.1/", "refused private address 10.0.0.1"),
    ("http://192.168.1.20:8080/x", "refused private address 192.168.1.20"),
    ("http://172.16.0.5/", "refused private address 172.16.0.5"),
    ("http://169.254.169.254/latest/meta-data/", "refused link-local address 169.254.169.254"),
    ("http://224.0.0.1/", "refused multicast address 224.0.0.1"),
    ("http://[fd00::1]/", "refused private address fd00::1"),
    ("http://[::ffff:10.0.0.1]/", "refused private address ::ffff:"),
    ("http://100.64.0.1/", "refused non-public address 100.64.0.1"),
]


@pytest.mark.parametrize(("url", "error"), REFUSED)
def test_non_public_addresses_are_refused_before_any_request(url: str, error: str) -> None:
    async def go() -> tuple[FetchResult, HttpStats, list[str]]:
        guard = LoopbackOnly()
        cfg = config(allow_private_hosts=False, respect_robots=True)
        async with Http(cfg, transport=guard) as http:
            return await http.get(url), http.stats, guard.sent

    result, stats, sent = run(go())
    assert result.error is not None and result.error.startswith(error)
    assert (result.status, result.attempts, stats.requests, stats.refused) == (0, 0, 0, 1)
    assert sent == []  # not even robots.txt was asked for


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://127.1.2.3:{port}/",
        "http://2130706433:{port}/",  # 127.0.0.1 spelled as one number
        "http://0.0.0.0:{port}/",
        "http://[::1]:{port}/",
    ],
)
def test_loopback_is_refused_without_a_connection(template: str) -> None:
    async def scenario(server: FaultServer) -> tuple[FetchResult, int]:
        async with Http(config(allow_private_hosts=False, respect_robots=True)) as http:
            result = await http.get(template.format(port=server.port))
        return result, server.connections

    result, connections = against(ok, scenario)
    assert result.error is not None and result.error.startswith("refused ")
    assert result.error.split()[1] in ("loopback", "unspecified")
    assert connections == 0 and result.attempts == 0


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://10.0.0.1/secret", "refused private address 10.0.0.1"),
        ("http://169.254.169.254/latest/", "refused link-local address 169.254.169.254"),
        ("http://127.0.0.2:{port}/admin", "refused loopback address 127.0.0.2"),
    ],
)
def test_redirect_to_a_private_address_is_refused(
    httpserver: HTTPServer, location: str, error: str
) -> None:
    httpserver.expect_request("/start").respond_with_data(
        "", 302, {"Location": location.format(port=httpserver.port)}
    )

    async def go() -> tuple[FetchResult, list[str]]:
        guard = LoopbackOnly()
        trusted = ipaddress.ip_address("127.0.0.1")  # the test server, and nothing else
        cfg = config(allow_private_hosts=False)
        async with Http(cfg, transport=guard, address_allowed=lambda ip: ip == trusted) as http:
            return await http.get(httpserver.url_for("/start")), guard.sent

    result, sent = run(go())
    assert result.error == error and result.status == 0
    assert result.final_url == location.format(port=httpserver.port)
    assert sent == [httpserver.url_for("/start")] and paths(httpserver) == ["/start"]


def test_connected_address_is_checked_again_after_dns(httpserver: HTTPServer) -> None:
    # Simulates DNS rebinding: the lookup looked public, the socket landed somewhere refused.
    httpserver.expect_request("/page").respond_with_data("secret")
    verdicts = iter([True])

    async def go() -> FetchResult:
        cfg = config(allow_private_hosts=False)
        async with Http(cfg, address_allowed=lambda ip: next(verdicts, False)) as http:
            return await http.get(httpserver.url_for("/page"))

    result = run(go())
    assert result.error == "refused loopback address 127.0.0.1"
    assert result.body == b"" and not result.ok


def test_corrupt_gzip_is_a_decoding_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        b"this is not gzip", headers={"Content-Encoding": "gzip"}
    )
    result, _ = fetch(config(), httpserver.url_for("/gz"))
    assert result.status == 200 and result.attempts == 1
    assert result.error is not None and result.error.startswith("decoding error: ")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.com/file", "refused scheme 'ftp'"),
        ("file:///etc/passwd", "refused scheme 'file'"),
        ("javascript:alert(1)", "refused scheme 'javascript'"),
        ("http://", "invalid url: no host"),
    ],
)
def test_non_http_urls_are_refused(url: str, error: str) -> None:
    async def go() -> tuple[FetchResult, list[str]]:
        guard = LoopbackOnly()
        async with Http(config(allow_private_hosts=False), transport=guard) as http:
            return await http.get(url), guard.sent

    result, sent = run(go())
    assert result.error == error and result.status == 0 and sent == []


def test_address_refusal_classifies_addresses() -> None:
    cases = {
        "93.184.215.14": None,
        "8.8.8.8": None,
        "2606:4700::1111": None,
        "127.0.0.1": "loopback",
        "::1": "loopback",
        "10.1.2.3": "private",
        "192.168.0.1": "private",
        "fc00::1": "private",
        "169.254.1.1": "link-local",
        "fe80::1": "link-local",
        "239.1.1.1": "multicast",
        "0.0.0.0": "unspecified",
        "240.0.0.1": "reserved",
        "100.64.1.1": "non-public",
        "::ffff:127.0.0.1": "loopback",
        "2002:a00:1::": "private",  # 6to4 wrapping 10.0.0.1
    }
    for raw, kind in cases.items():
        assert address_refusal(ipaddress.ip_address(raw)) == kind, raw


# -- robots.txt ---------------------------------------------------------------------------------


def robots_config(**overrides: Any) -> HttpConfig:
    return config(respect_robots=True, **overrides)


def test_robots_disallow_blocks_and_the_page_is_never_requested(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    httpserver.expect_request("/public").respond_with_data("ok")

    async def go() -> tuple[FetchResult, FetchResult, bool, HttpStats]:
        async with Http(robots_config()) as http:
            blocked = await http.get(httpserver.url_for("/private/x"))
            allowed = await http.get(httpserver.url_for("/public"))
            verdict = await http.allowed_by_robots(httpserver.url_for("/private/y"))
            return blocked, allowed, verdict, http.stats

    blocked, allowed, verdict, stats = run(go())
    assert blocked.error == "blocked by robots.txt" and blocked.attempts == 0
    assert allowed.ok and verdict is False
    assert paths(httpserver) == ["/robots.txt", "/public"]
    assert stats.robots_blocked == 1 and stats.robots_fetched == 1


def test_robots_is_fetched_once_per_host_even_when_concurrent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/page").respond_with_data("ok")

    async def go() -> list[FetchResult]:
        async with Http(robots_config(per_host_concurrency=4)) as http:
            return await asyncio.gather(*(http.get(httpserver.url_for("/page")) for _ in range(5)))

    results = run(go())
    assert all(r.ok for r in results)
    assert paths(httpserver).count("/robots.txt") == 1
    assert paths(httpserver).count("/page") == 5


def test_robots_404_allows_everything(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page").respond_with_data("ok")
    result, _ = fetch(robots_config(), httpserver.url_for("/page"))
    assert result.ok and paths(httpserver) == ["/robots.txt", "/page"]


def test_robots_500_disallows_everything_for_the_pass(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=500)
    httpserver.expect_request("/page").respond_with_data("ok")

    async def go() -> list[FetchResult]:
        async with Http(robots_config(retries=1)) as http:
            return [await http.get(httpserver.url_for(p)) for p in ("/page", "/other")]

    results = run(go())
    unavailable = "robots.txt unavailable: http 500 (gave up after 2 attempts)"
    assert [r.error for r in results] == [unavailable] * 2
    assert paths(httpserver) == ["/robots.txt", "/robots.txt"]  # one retry, then cached


def test_robots_unreachable_disallows() -> None:
    async def scenario(server: FaultServer) -> FetchResult:
        async with Http(robots_config(read_timeout=0.2, retries=0)) as http:
            return await http.get(server.url("/page"))

    result = against(stall, scenario)
    assert result.error == "robots.txt unavailable: timeout: read timed out after 0.2s"
    assert result.attempts == 0  # the page itself was never requested


def test_robots_group_for_our_product_token_applies(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nAllow: /\n\nUser-agent: newsdesk\nDisallow: /\n"
    )
    result, _ = fetch(robots_config(), httpserver.url_for("/page"))
    assert result.error == "blocked by robots.txt"


def test_huge_robots_is_read_only_to_500_kib(httpserver: HTTPServer) -> None:
    padding = "# padding line to make this file large\n" * 16_000  # about 640 KB
    robots = "User-agent: *\nDisallow: /early\n" + padding + "Disallow: /late\n"
    httpserver.expect_request("/robots.txt").respond_with_data(robots)
    httpserver.expect_request("/late").respond_with_data("ok")

    async def go() -> tuple[FetchResult, FetchResult]:
        async with Http(robots_config()) as http:
            early = await http.get(httpserver.url_for("/early"))
            late = await http.get(httpserver.url_for("/late"))
            return early, late

    early, late = run(go())
    assert early.error == "blocked by robots.txt"
    assert late.ok  # its rule lies past the 500 KiB cap


def test_check_robots_false_skips_robots(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data("ok")
    result, _ = fetch(robots_config(), httpserver.url_for("/page"), check_robots=False)
    assert result.ok and paths(httpserver) == ["/page"]


# -- politeness ---------------------------------------------------------------------------------


def test_per_host_concurrency_is_respected() -> None:
    async def scenario(server: FaultServer) -> tuple[list[FetchResult], int, int]:
        async with Http(config(per_host_concurrency=2)) as http:
            results = await asyncio.gather(*(http.get(server.url(f"/{i}")) for i in range(6)))
        return results, server.max_active, server.connections

    results, max_active, connections = against(slow_ok(0.2), scenario)
    assert all(r.ok for r in results)
    assert max_active == 2 and connections <= 2


def test_min_delay_between_request_starts_is_observed() -> None:
    async def scenario(server: FaultServer) -> list[float]:
        async with Http(config(min_host_delay=0.15)) as http:
            results = await asyncio.gather(*(http.get(server.url(f"/{i}")) for i in range(4)))
        assert all(r.ok for r in results)
        return [r.at for r in server.requests]

    arrivals = against(ok, scenario)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == 3 and min(gaps) >= 0.13, gaps


def test_get_outside_the_context_manager_is_a_programmer_error() -> None:
    http = Http(config())
    with pytest.raises(RuntimeError, match="async with"):
        run(http.get("http://127.0.0.1/"))


# -- pure helpers -------------------------------------------------------------------------------


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 4, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (10, 30.0)]:
        delay = backoff_delay(retry, base=0.5, cap=30.0, rng=rng)
        assert ceiling / 2 <= delay <= ceiling
