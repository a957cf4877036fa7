"""One request on the wire: the target, the reply, the body read under a cap, failure reasons."""

from __future__ import annotations

import ssl
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

import httpx

from pipeline.config import HttpConfig
from pipeline.http.errors import BodyTooLarge, ErrorKind, HttpError, SchemeRefused
from pipeline.http.robots import Origin

# 501 and 505 say the server cannot ever do this; asking again will not help.
_PERMANENT_5XX = frozenset({501, 505})


@dataclass(slots=True)
class Target:
    url: httpx.URL
    origin: Origin


@dataclass(slots=True)
class Reply:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    error: str | None = None
    kind: ErrorKind | None = None


async def read_body(response: httpx.Response, *, max_body: int, truncate: bool) -> Reply:
    """The response's decoded body under the byte cap (non-2xx bodies are not kept)."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    reply = Reply(url=str(response.url), status=response.status_code, headers=headers, body=b"")
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


def timeout_reason(exc: httpx.TimeoutException, cfg: HttpConfig) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timeout: connect timed out after {cfg.connect_timeout:g}s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timeout: read timed out after {cfg.read_timeout:g}s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timeout: write timed out after {cfg.read_timeout:g}s"
    return f"timeout: no free connection after {cfg.connect_timeout:g}s"


def parse_target(url: str) -> Target:
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
    return Target(url=parsed, origin=(parsed.scheme, host, port))


def header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def retryable_status(status: int) -> bool:
    return status == 429 or (500 <= status < 600 and status not in _PERMANENT_5XX)


def transport_reason(exc: httpx.TransportError) -> tuple[str, bool]:
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
