"""A scriptable raw HTTP/1.1 server on 127.0.0.1 for faults an ordinary server cannot produce.

It runs in the test's own event loop. A handler gets each parsed request and the raw writer, so it
can stall before the headers, trickle a body, reset the connection or stream without end. Every
behaviour here is bounded in time and bytes, and everything stops when the `async with` ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

HEAD_LIMIT = 64 * 1024
STALL_SECONDS = 15.0  # longer than any client timeout in the tests, shorter than pytest's


@dataclass(slots=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    at: float  # time.monotonic() when the head was read
    connection: int  # 1-based id of the TCP connection it came on


Handler = Callable[[SeenRequest, asyncio.StreamWriter], Awaitable[None]]


@dataclass(slots=True)
class FaultServer:
    """`async with FaultServer(handler) as server:` then fetch `server.url("/x")`."""

    handler: Handler
    requests: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    active: int = 0  # requests being handled right now
    max_active: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        connection = self.connections
        try:
            while not writer.is_closing():
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STALL_SECONDS)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                    break
                if len(head) > HEAD_LIMIT:
                    break
                request = _parse_head(head, connection)
                self.requests.append(request)
                self.active += 1
                self.max_active = max(self.max_active, self.active)
                try:
                    await self.handler(request, writer)
                finally:
                    self.active -= 1
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()
            self._tasks.discard(task)


def _parse_head(head: bytes, connection: int) -> SeenRequest:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return SeenRequest(
        method=method, path=path, headers=headers, at=time.monotonic(), connection=connection
    )


# -- building blocks for handlers ---------------------------------------------------------------


async def respond(
    writer: asyncio.StreamWriter,
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """Write one complete response with a Content-Length; the connection stays open."""
    lines = [f"HTTP/1.1 {status} X"]
    for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
        lines.append(f"{name}: {value}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def ok(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
    """Answer 200 "ok" at once."""
    await respond(writer, 200, b"ok")


async def stall(_request: SeenRequest, _writer: asyncio.StreamWriter) -> None:
    """Read the request, then say nothing (until the server shuts down)."""
    await asyncio.sleep(STALL_SECONDS)


def trickle(*, total: int, interval: float) -> Handler:
    """Send headers at once, then one body byte every `interval` seconds."""

    async def handler(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        await writer.drain()
        for _ in range(total):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(interval)

    return handler


async def reset(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
    """Answer the request with a TCP RST instead of a response."""
    sock = writer.get_extra_info("socket")
    # SO_LINGER with a zero timeout makes close() send RST rather than FIN.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def hang_up(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
    """Close the connection cleanly without answering."""
    writer.close()


def endless_chunked(*, chunk: int = 64 * 1024, limit: int = 256 * 1024 * 1024) -> Handler:
    """Stream a chunked body that never ends (capped at `limit` bytes as a safety net)."""

    async def handler(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        payload = f"{chunk:x}\r\n".encode() + b"a" * chunk + b"\r\n"
        for _ in range(limit // chunk):
            writer.write(payload)
            await writer.drain()
        writer.close()

    return handler


def slow_ok(delay: float, body: bytes = b"ok") -> Handler:
    """Answer 200 after `delay` seconds (to hold requests in flight at once)."""

    async def handler(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)
        await respond(writer, 200, body)

    return handler


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    """Answer every request with `code` (and `headers`)."""

    async def handler(_request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        await respond(writer, code, body, headers)

    return handler


def content(body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Handler:
    """Answer 200 with `body` as `content_type`."""
    return status(200, {"Content-Type": content_type, **(headers or {})}, body)


def redirect(location: str, code: int = 302) -> Handler:
    """Redirect to `location` (relative to the request or absolute)."""
    return status(code, {"Location": location})


def gzip_bomb(*, decoded: int = 16 * 1024 * 1024) -> Handler:
    """A small gzip body that inflates to `decoded` bytes of zeros."""
    import gzip

    packed = gzip.compress(b"\0" * decoded, compresslevel=9)
    return status(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, packed)


def sequence(*handlers: Handler) -> Handler:
    """The first request gets handlers[0], the next handlers[1], ...; the last one repeats."""
    served = 0

    async def handler(request: SeenRequest, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        current = handlers[min(served, len(handlers) - 1)]
        served += 1
        await current(request, writer)

    return handler
