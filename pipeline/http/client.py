"""The crawler's HTTP client: hops checked one by one, per-host politeness, retries, size caps."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import httpx

from pipeline.config import HttpConfig
from pipeline.http.addresses import AddressGuard, AddressPolicy, default_policy
from pipeline.http.errors import (
    ErrorKind,
    FetchResult,
    HttpError,
    HttpStats,
    RequestRefused,
    RobotsDisallowed,
    RobotsUnavailable,
    TooManyRedirects,
    TransientError,
    status_kind,
)
from pipeline.http.politeness import HostGate, backoff_delay, parse_retry_after
from pipeline.http.robots import ROBOTS_MAX_BYTES, Origin, RobotsCache
from pipeline.http.wire import (
    Reply,
    Target,
    header_safe,
    parse_target,
    read_body,
    retryable_status,
    timeout_reason,
    transport_reason,
)

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(slots=True)
class _Progress:
    """How far one fetch got; survives exceptions so the result can report it."""

    url: str
    attempts: int = 0
    retries: int = 0
    gave_up: bool = False  # the retry budget ran out


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
        policy = address_allowed
        if policy is None:
            policy = default_policy(
                allow_private_hosts=config.allow_private_hosts,
                trusted_addresses=config.trusted_addresses,
            )
        self._guard = AddressGuard(policy, timeout=config.connect_timeout, stats=self.stats)
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._gates: dict[Origin, HostGate] = {}
        self._robots = RobotsCache()

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
        if etag and header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and header_safe(last_modified):
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
            target = parse_target(url)
        except HttpError:
            return False
        rules = await self._robots.rules(target.origin, lambda: self._fetch_robots(target))
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
            reply = Reply(
                url=progress.url,
                status=exc.status,
                headers=exc.headers,
                body=b"",
                error=str(exc),
                kind=exc.kind,
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
            error_kind=(reply.kind or ErrorKind.BROKEN) if error is not None else None,
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
    ) -> Reply:
        """Follow redirects by hand so every hop gets the scheme, address and robots checks."""
        current = url
        for _hop in range(self.config.max_redirects + 1):
            progress.url = current
            target = parse_target(current)
            reply = await self._attempt(target, headers, max_body, truncate, check_robots, progress)
            if reply.status not in _REDIRECT_CODES:
                return reply
            location = reply.headers.get("location")
            if not location:
                reply.error = f"http {reply.status} without location"
                reply.kind = ErrorKind.REDIRECTS
                return reply
            try:
                current = str(target.url.join(location.strip()))
            except httpx.InvalidURL as exc:
                reply.error = f"invalid redirect location: {exc}"
                reply.kind = ErrorKind.REDIRECTS
                return reply
            self.stats.redirects += 1
        raise TooManyRedirects(
            f"too many redirects ({self.config.max_redirects + 1})",
            status=reply.status,
            headers=reply.headers,
        )

    async def _attempt(
        self,
        target: Target,
        headers: dict[str, str],
        max_body: int,
        truncate: bool,
        check_robots: bool,
        progress: _Progress,
    ) -> Reply:
        """One hop: vet, send, and retry timeouts, connection errors, 429 and 5xx within budget."""
        while True:  # bounded: each pass returns, raises, or spends one retry of a finite budget
            retry_after: float | None = None
            try:
                # Address before robots: fetching robots.txt would itself reach the host.
                await self._guard.vet_host(target.origin[1], target.origin[2])
                if check_robots and not await self.allowed_by_robots(str(target.url)):
                    rules = self._robots.get(target.origin)
                    refusal = rules.refusal if rules else "blocked by robots.txt"
                    unavailable = rules is not None and rules.unavailable
                    raise (RobotsUnavailable if unavailable else RobotsDisallowed)(refusal)
                progress.attempts += 1
                reply = await self._send(target, headers, max_body, truncate)
            except TransientError:
                if progress.retries >= self.config.retries:
                    progress.gave_up = True
                    raise
            else:
                status = reply.status
                if not retryable_status(status):
                    if not (200 <= status < 300 or status == 304 or status in _REDIRECT_CODES):
                        reply.error = reply.error or f"http {status}"
                        reply.kind = reply.kind or status_kind(status)
                    return reply
                reply.error = f"http {status}"
                reply.kind = ErrorKind.TRANSIENT
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
        self, target: Target, headers: dict[str, str], max_body: int, truncate: bool
    ) -> Reply:
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
                        self._guard.vet_peer(response)
                        return await read_body(response, max_body=max_body, truncate=truncate)
                    finally:
                        await response.aclose()
            except TimeoutError:
                self.stats.timeouts += 1
                raise TransientError(
                    f"timeout: total time exceeded {cfg.total_timeout:g}s"
                ) from None
            except httpx.TimeoutException as exc:
                self.stats.timeouts += 1
                raise TransientError(timeout_reason(exc, self.config)) from None
            except httpx.TransportError as exc:
                reason, transient = transport_reason(exc)
                raise (TransientError if transient else HttpError)(reason) from None
            except OSError as exc:  # anything httpx did not wrap is still a network failure
                raise TransientError(f"connection error: {exc}") from None

    async def _fetch_robots(self, target: Target) -> FetchResult:
        """Fetch robots.txt through this same layer (RFC 9309 2.3.1)."""
        scheme, _host, _port = target.origin
        self.stats.robots_fetched += 1
        return await self._fetch(
            f"{scheme}://{target.url.netloc.decode('ascii')}/robots.txt",
            headers={"Accept": "text/plain, */*;q=0.1"},
            check_robots=False,
            max_body=ROBOTS_MAX_BYTES,
            truncate=True,
        )

    # -- small helpers -----------------------------------------------------------------------

    def _require_client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("Http must be used inside 'async with Http(config) as http:'")
        return self._client

    def _gate(self, origin: Origin) -> HostGate:
        gate = self._gates.get(origin)
        if gate is None:
            gate = HostGate(slots=asyncio.Semaphore(self.config.per_host_concurrency))
            self._gates[origin] = gate
        return gate
