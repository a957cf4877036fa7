"""The one HTTP layer: polite, bounded, SSRF-safe GETs for feeds, pages and robots.txt.

Each hop of a fetch does one job, in this order: check the scheme, resolve the host and refuse
non-public addresses, ask robots.txt, wait for a per-host slot and the per-host delay, send one
request under a wall-clock deadline, read the body under a size cap, then decide: done, retry
(timeouts, connection errors, 429, 5xx) or follow a redirect (each hop checked again).

`Http.get` never raises for network or HTTP trouble; every failure is a `FetchResult` with an
`error`. It raises only on programmer errors (for example, use outside `async with`).

Exceptions (raised and caught inside this module; their text becomes `FetchResult.error`):

    HttpError                  base: this fetch cannot succeed as asked
    +-- RequestRefused         refused before anything was sent
    |   +-- SchemeRefused      not http(s), or not a parseable URL
    |   +-- AddressRefused     host resolves to a loopback/private/link-local/... address
    |   +-- RobotsDisallowed   robots.txt forbids the URL
    +-- BodyTooLarge           more than the byte cap, on the wire or after decompression
    +-- TooManyRedirects       the redirect limit was exceeded
    +-- TransientError         timeouts and connection failures: these are retried
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self, cast

import httpx
from protego import Protego

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least 500 KiB, ignore the rest
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# 501 and 505 say the server cannot ever do this; asking again will not help.
_PERMANENT_5XX = frozenset({501, 505})


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpConfig:
    """Politeness, timeouts and safety limits of the HTTP layer."""

    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; news research crawler)"
    per_host_concurrency: int = 2
    min_host_delay: float = 1.0  # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # wall clock for one request: headers and the whole body
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3  # extra attempts per fetch, shared by all its redirect hops
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # a longer Retry-After means "give up now", not "wait"
    respect_robots: bool = True
    allow_private_hosts: bool = False
    # IP addresses reachable although non-public (a loopback test server, an intranet mirror);
    # every other private, loopback or link-local address stays refused.
    trusted_addresses: tuple[str, ...] = ()
    http2: bool = False

    def __post_init__(self) -> None:
        if self.per_host_concurrency < 1:
            raise ValueError("per_host_concurrency must be at least 1")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be at least 1")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries must not be negative")
        timeouts = (self.connect_timeout, self.read_timeout, self.total_timeout)
        if min(timeouts) <= 0:
            raise ValueError("timeouts must be positive")
        delays = (self.min_host_delay, self.backoff_base, self.backoff_cap, self.retry_after_cap)
        if min(delays) < 0:
            raise ValueError("delays must not be negative")

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against (RFC 9309 2.2.1)."""
        return self.user_agent.split("/", 1)[0].strip() or self.user_agent


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What one `Http.get` produced: a response, a 304, or a clear reason why not."""

    url: str
    final_url: str
    status: int  # 0 when no response at all
    headers: dict[str, str]  # lower-cased names, of the final response
    body: bytes  # decoded (decompressed); b"" on 304 and on errors
    etag: str | None
    last_modified: str | None
    fetched_at: datetime  # tz-aware UTC
    elapsed_ms: int
    attempts: int  # 1 + retries; 0 when nothing was sent
    error: str | None  # None on success and on 304

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.error is None

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None


@dataclass(slots=True)
class HttpStats:
    """Counters for one `Http` session (one pass)."""

    requests: int = 0  # requests sent, including robots.txt, redirect hops and retries
    retries: int = 0
    redirects: int = 0
    not_modified: int = 0
    failures: int = 0  # `get` results with an error
    refused: int = 0  # scheme or address refusals
    timeouts: int = 0
    robots_fetched: int = 0
    robots_blocked: int = 0
    bytes_received: int = 0  # decoded body bytes kept

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class HttpError(Exception):
    """A fetch that cannot succeed as asked; the message is the `FetchResult.error` text."""

    def __init__(
        self, message: str, *, status: int = 0, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status  # of the response that caused it, 0 if none
        self.headers = headers or {}


class RequestRefused(HttpError):
    """Refused before any byte was sent."""


class SchemeRefused(RequestRefused):
    """Not an http(s) URL."""


class AddressRefused(RequestRefused):
    """The host is, or resolves to, an address the crawler must not reach."""


class RobotsDisallowed(RequestRefused):
    """robots.txt disallows the URL for our user agent."""


class BodyTooLarge(HttpError):
    """The body passed the byte cap on the wire or after decompression."""


class TooManyRedirects(HttpError):
    """More redirects than `max_redirects`."""


class TransientError(HttpError):
    """A timeout or a connection failure; worth another attempt."""


def address_refusal(ip: IPAddress) -> str | None:
    """Why a crawler must not connect to `ip` ("loopback", "private", ...), or None if public."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 form reaches the same host; judge it first.
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        candidates = [*(a for a in embedded if a is not None), ip]
    for addr in candidates:
        for kind, hit in (
            ("unspecified", addr.is_unspecified),
            ("loopback", addr.is_loopback),
            ("link-local", addr.is_link_local),
            ("multicast", addr.is_multicast),
            ("reserved", addr.is_reserved),
            ("private", addr.is_private),
            ("non-public", not addr.is_global),
        ):
            if hit:
                return kind
    return None


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, never above `cap`."""
    ceiling = min(cap, base * 2.0**retry)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(slots=True)
class _HostGate:
    """Per-host politeness: a concurrency slot and the earliest time the next request may start."""

    slots: asyncio.Semaphore
    next_start: float = 0.0


@dataclass(slots=True)
class _Target:
    url: httpx.URL
    origin: tuple[str, str, int]  # scheme, host, port: the unit of politeness and robots


@dataclass(slots=True)
class _Reply:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    error: str | None = None


@dataclass(slots=True)
class _Progress:
    """How far one fetch got; survives exceptions so the result can report it."""

    url: str
    attempts: int = 0
    retries: int = 0
    gave_up: bool = False  # the retry budget ran out


class _RobotsRules:
    """A host's robots.txt verdict: parsed rules, or allow/disallow everything."""

    __slots__ = ("_allow_all", "_parser", "refusal")

    def __init__(
        self, parser: Protego | None, *, allow_all: bool, refusal: str = "blocked by robots.txt"
    ) -> None:
        self._parser = parser
        self._allow_all = allow_all
        self.refusal = refusal  # the error a refused URL reports

    def allows(self, url: str, token: str) -> bool:
        if self._parser is None:
            return self._allow_all
        return bool(self._parser.can_fetch(url, token))


def _default_now() -> datetime:
    return datetime.now(UTC)


class Http:
    """An async HTTP client for crawling; use as `async with Http(config) as http:`."""

    def __init__(
        self,
        config: HttpConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = _default_now,
        rng: random.Random | None = None,
        address_allowed: AddressPolicy | None = None,
    ) -> None:
        """`address_allowed` replaces the built-in address policy (public only, unless
        `allow_private_hosts`); tests use it to trust exactly one loopback server."""
        self.config = config
        self.stats = HttpStats()
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._policy: AddressPolicy | None
        if address_allowed is not None:
            self._policy = address_allowed
        elif config.allow_private_hosts:
            self._policy = None  # nothing to refuse, so no need to resolve first
        else:
            trusted = frozenset(ipaddress.ip_address(a) for a in config.trusted_addresses)
            self._policy = lambda ip: ip in trusted or address_refusal(ip) is None
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._gates: dict[tuple[str, str, int], _HostGate] = {}
        self._robots: dict[tuple[str, str, int], _RobotsRules] = {}
        self._robots_locks: dict[tuple[str, str, int], asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        if self._client is not None or self._closed:
            raise RuntimeError("an Http instance can be entered only once")
        cfg = self.config
        transport = self._transport or httpx.AsyncHTTPTransport(http2=cfg.http2, retries=0)
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": cfg.user_agent},
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout,
                read=cfg.read_timeout,
                write=cfg.read_timeout,
                pool=cfg.connect_timeout,
            ),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
            follow_redirects=False,  # every hop is checked here, not inside httpx
            trust_env=False,  # an env proxy would hide the address we checked
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        self._closed = True
        if client is not None:
            await client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = True,
        accept: str | None = None,
    ) -> FetchResult:
        """GET `url` politely; conditional when `etag`/`last_modified` are given. Never raises
        for network or HTTP problems."""
        self._require_client()
        headers: dict[str, str] = {}
        # A validator that cannot go back on the wire as sent is dropped: an unconditional
        # GET is always correct, a request that fails to encode is not.
        if etag and _header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and _header_safe(last_modified):
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        result = await self._fetch(
            url,
            headers=headers,
            check_robots=check_robots and self.config.respect_robots,
            max_body=self.config.max_body_bytes,
            truncate=False,
        )
        if result.not_modified:
            self.stats.not_modified += 1
            # A 304 may omit validators; keep the caller's so its stored state stays valid.
            result = replace(
                result,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        if result.error is not None:
            self.stats.failures += 1
        return result

    async def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url` (always True when `respect_robots` is off)."""
        self._require_client()
        if not self.config.respect_robots:
            return True
        try:
            target = _parse_target(url)
        except HttpError:
            return False
        rules = self._robots.get(target.origin)
        if rules is None:
            lock = self._robots_locks.setdefault(target.origin, asyncio.Lock())
            async with lock:  # one robots.txt fetch per host, however many callers wait
                rules = self._robots.get(target.origin)
                if rules is None:
                    rules = await self._load_robots(target)
                    self._robots[target.origin] = rules
        return rules.allows(str(target.url), self.config.robots_token)

    # -- one fetch: hops, each with retries --------------------------------------------------

    async def _fetch(
        self,
        url: str,
        *,
        headers: dict[str, str],
        check_robots: bool,
        max_body: int,
        truncate: bool,
    ) -> FetchResult:
        started = self._clock()
        fetched_at = self._now()
        progress = _Progress(url=url)
        try:
            reply = await self._follow(
                url,
                headers=headers,
                check_robots=check_robots,
                max_body=max_body,
                truncate=truncate,
                progress=progress,
            )
        except HttpError as exc:
            reply = _Reply(
                url=progress.url, status=exc.status, headers=exc.headers, body=b"", error=str(exc)
            )
            if isinstance(exc, RobotsDisallowed):
                self.stats.robots_blocked += 1
            elif isinstance(exc, RequestRefused):
                self.stats.refused += 1
        error = reply.error
        if error is not None and progress.gave_up and progress.retries:
            error = f"{error} (gave up after {progress.attempts} attempts)"
        final_headers = reply.headers
        body = reply.body if error is None else b""
        self.stats.bytes_received += len(body)
        return FetchResult(
            url=url,
            final_url=reply.url,
            status=reply.status,
            headers=final_headers,
            body=body,
            etag=final_headers.get("etag"),
            last_modified=final_headers.get("last-modified"),
            fetched_at=fetched_at,
            elapsed_ms=round((self._clock() - started) * 1000),
            attempts=progress.attempts,
            error=error,
        )

    async def _follow(
        self,
        url: str,
        *,
        headers: dict[str, str],
        check_robots: bool,
        max_body: int,
        truncate: bool,
        progress: _Progress,
    ) -> _Reply:
        """Follow redirects by hand so every hop gets the scheme, address and robots checks."""
        current = url
        for _hop in range(self.config.max_redirects + 1):
            progress.url = current
            target = _parse_target(current)
            reply = await self._attempt(target, headers, max_body, truncate, check_robots, progress)
            if reply.status not in _REDIRECT_CODES:
                return reply
            location = reply.headers.get("location")
            if not location:
                reply.error = f"http {reply.status} without location"
                return reply
            try:
                current = str(target.url.join(location.strip()))
            except httpx.InvalidURL as exc:
                reply.error = f"invalid redirect location: {exc}"
                return reply
            self.stats.redirects += 1
        raise TooManyRedirects(
            f"too many redirects ({self.config.max_redirects + 1})",
            status=reply.status,
            headers=reply.headers,
        )

    async def _attempt(
        self,
        target: _Target,
        headers: dict[str, str],
        max_body: int,
        truncate: bool,
        check_robots: bool,
        progress: _Progress,
    ) -> _Reply:
        """One hop: vet, send, and retry timeouts, connection errors, 429 and 5xx within budget."""
        while True:  # bounded: each pass returns, raises, or spends one retry of a finite budget
            retry_after: float | None = None
            try:
                # Address before robots: fetching robots.txt would itself reach the host.
                await self._vet_address(target)
                if check_robots and not await self.allowed_by_robots(str(target.url)):
                    raise RobotsDisallowed(self._robots[target.origin].refusal)
                progress.attempts += 1
                reply = await self._send(target, headers, max_body, truncate)
            except TransientError:
                if progress.retries >= self.config.retries:
                    progress.gave_up = True
                    raise
            else:
                status = reply.status
                if not _retryable_status(status):
                    if not (200 <= status < 300 or status == 304 or status in _REDIRECT_CODES):
                        reply.error = reply.error or f"http {status}"
                    return reply
                reply.error = f"http {status}"
                if progress.retries >= self.config.retries:
                    progress.gave_up = True
                    return reply
                retry_after = parse_retry_after(reply.headers.get("retry-after"), now=self._now())
                if retry_after is not None and retry_after > self.config.retry_after_cap:
                    reply.error = (
                        f"http {reply.status} (retry-after {retry_after:.0f}s exceeds cap "
                        f"{self.config.retry_after_cap:g}s)"
                    )
                    return reply
            progress.retries += 1
            self.stats.retries += 1
            if retry_after is not None:
                wait = retry_after
                # The whole host asked for a pause, not just this URL.
                gate = self._gate(target.origin)
                gate.next_start = max(gate.next_start, self._clock() + wait)
            else:
                wait = backoff_delay(
                    progress.retries - 1,
                    base=self.config.backoff_base,
                    cap=self.config.backoff_cap,
                    rng=self._rng,
                )
            await self._sleep(wait)

    async def _send(
        self, target: _Target, headers: dict[str, str], max_body: int, truncate: bool
    ) -> _Reply:
        """Send one request in a host slot and read its body; raise TransientError on failure."""
        client = self._require_client()
        cfg = self.config
        gate = self._gate(target.origin)
        async with gate.slots:
            now = self._clock()
            start = max(now, gate.next_start)
            gate.next_start = start + cfg.min_host_delay
            if start > now:
                await self._sleep(start - now)
            self.stats.requests += 1
            try:
                async with asyncio.timeout(cfg.total_timeout):
                    request = client.build_request("GET", target.url, headers=headers)
                    response = await client.send(request, stream=True)
                    try:
                        return await self._read(response, max_body, truncate)
                    finally:
                        await response.aclose()
            except TimeoutError:
                self.stats.timeouts += 1
                raise TransientError(
                    f"timeout: total time exceeded {cfg.total_timeout:g}s"
                ) from None
            except httpx.TimeoutException as exc:
                self.stats.timeouts += 1
                raise TransientError(self._timeout_reason(exc)) from None
            except httpx.TransportError as exc:
                reason, transient = _transport_reason(exc)
                raise (TransientError if transient else HttpError)(reason) from None
            except OSError as exc:  # anything httpx did not wrap is still a network failure
                raise TransientError(f"connection error: {exc}") from None

    async def _read(self, response: httpx.Response, max_body: int, truncate: bool) -> _Reply:
        headers = {k.lower(): v for k, v in response.headers.items()}
        self._vet_peer(response)
        reply = _Reply(
            url=str(response.url), status=response.status_code, headers=headers, body=b""
        )
        if not 200 <= response.status_code < 300:
            return reply  # error, redirect and 304 bodies are not kept
        too_large = BodyTooLarge(
            f"body exceeds {max_body} bytes", status=response.status_code, headers=headers
        )
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body and not truncate:
            raise too_large
        body = bytearray()
        # aiter_bytes decompresses; counting its output is what stops a gzip bomb, and
        # num_bytes_downloaded caps the wire bytes too.
        # httpx types aiter_bytes as an AsyncIterator; it is a generator, so close it on exit.
        chunk_gen = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
        try:
            async with aclosing(chunk_gen) as chunks:
                async for chunk in chunks:
                    body += chunk
                    if len(body) > max_body or response.num_bytes_downloaded > max_body:
                        if truncate:
                            del body[max_body:]
                            break
                        raise too_large
        except httpx.DecodingError as exc:
            raise HttpError(
                f"decoding error: {exc}", status=response.status_code, headers=headers
            ) from None
        reply.body = bytes(body)
        return reply

    # -- checks ------------------------------------------------------------------------------

    async def _vet_address(self, target: _Target) -> None:
        """Resolve the host as the connection will and refuse if any address is off-limits."""
        if self._policy is None:
            return
        _scheme, host, port = target.origin
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            self.stats.timeouts += 1
            raise TransientError(
                f"timeout: dns lookup timed out after {self.config.connect_timeout:g}s"
            ) from None
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:
                raise TransientError(f"dns lookup failed for {host}: {exc.strerror}") from None
            raise HttpError(f"dns lookup failed for {host}: {exc.strerror}") from None
        except (UnicodeError, ValueError, OSError) as exc:  # e.g. a label over 63 characters
            raise HttpError(f"dns lookup failed for {host}: {exc}") from None
        for info in infos:
            self._check_ip(str(info[4][0]))

    def _vet_peer(self, response: httpx.Response) -> None:
        """Check the address actually connected to, which defeats DNS rebinding after our lookup."""
        stream = response.extensions.get("network_stream")
        if self._policy is None or stream is None:
            return
        server_addr = stream.get_extra_info("server_addr")
        if server_addr:
            self._check_ip(str(server_addr[0]))

    def _check_ip(self, raw: str) -> None:
        assert self._policy is not None
        ip = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
        if not self._policy(ip):
            kind = address_refusal(ip) or "disallowed"
            raise AddressRefused(f"refused {kind} address {ip}")

    async def _load_robots(self, target: _Target) -> _RobotsRules:
        """Fetch and judge robots.txt through this same layer (RFC 9309 2.3.1)."""
        scheme, _host, _port = target.origin
        robots_url = f"{scheme}://{target.url.netloc.decode('ascii')}/robots.txt"
        self.stats.robots_fetched += 1
        result = await self._fetch(
            robots_url,
            headers={"Accept": "text/plain, */*;q=0.1"},
            check_robots=False,
            max_body=ROBOTS_MAX_BYTES,
            truncate=True,
        )
        if result.ok:
            return _RobotsRules(
                Protego.parse(result.body.decode("utf-8", "replace")), allow_all=True
            )
        status = result.status
        if status == 429 or status >= 500 or status == 0:
            # Unreachable: assume complete disallow for this pass, and say why.
            why = result.error or f"http {status}"
            return _RobotsRules(None, allow_all=False, refusal=f"robots.txt unavailable: {why}")
        # 4xx: no rules, crawl freely. 3xx here means the redirect limit was hit:
        # RFC 9309 lets us treat that as unavailable, i.e. allow.
        return _RobotsRules(None, allow_all=True)

    # -- small helpers -----------------------------------------------------------------------

    def _require_client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("Http must be used inside 'async with Http(config) as http:'")
        return self._client

    def _gate(self, origin: tuple[str, str, int]) -> _HostGate:
        gate = self._gates.get(origin)
        if gate is None:
            gate = _HostGate(slots=asyncio.Semaphore(self.config.per_host_concurrency))
            self._gates[origin] = gate
        return gate

    def _timeout_reason(self, exc: httpx.TimeoutException) -> str:
        cfg = self.config
        if isinstance(exc, httpx.ConnectTimeout):
            return f"timeout: connect timed out after {cfg.connect_timeout:g}s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"timeout: read timed out after {cfg.read_timeout:g}s"
        if isinstance(exc, httpx.WriteTimeout):
            return f"timeout: write timed out after {cfg.read_timeout:g}s"
        return f"timeout: no free connection after {cfg.connect_timeout:g}s"


def _parse_target(url: str) -> _Target:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise SchemeRefused(f"invalid url: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise SchemeRefused(f"refused scheme {parsed.scheme or 'none'!r}")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise SchemeRefused("invalid url: no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return _Target(url=parsed, origin=(parsed.scheme, host, port))


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _retryable_status(status: int) -> bool:
    return status == 429 or (500 <= status < 600 and status not in _PERMANENT_5XX)


def _transport_reason(exc: httpx.TransportError) -> tuple[str, bool]:
    """A short reason for a transport failure, and whether another attempt may help."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in chain):
        return f"tls error: {exc}", False
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or "refused" in str(exc):
        return "connection refused", True
    if any(isinstance(c, ConnectionResetError) for c in chain) or "reset by peer" in str(exc):
        return "connection reset", True
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "disconnected" in text or "peer closed" in text:
            return "connection closed by server", True
        return f"protocol error: {text}", True
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.ProxyError):
        return f"request error: {exc}", False
    if isinstance(exc, httpx.ConnectError):
        return f"connect error: {exc}", True
    return f"connection error: {str(exc) or type(exc).__name__}", True
