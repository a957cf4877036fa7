"""A loopback web archive for tests: the Wayback CDX API, raw (`id_`) playback, and a plain site.

It answers only from captures the test adds. Like the real service it returns SURT url keys,
a JSON header row, honours `fl=`, `filter=statuscode:`, `collapse=digest` and `from`/`to`, can
add malformed lines, redirects playback to the closest capture, answers 404 when a URL has no
capture, and can be told to answer the next requests with 429/503 (with Retry-After).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit


def surt(url: str) -> str:
    parts = urlsplit(url)
    host = ",".join(reversed((parts.hostname or "").removeprefix("www.").split(".")))
    if parts.port:
        host += f":{parts.port}"
    return f"{host}){parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def url_key(url: str) -> str:
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.netloc or "").lower().removeprefix("www.")
    return host + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True, slots=True)
class Stored:
    timestamp: str
    status: int
    content_type: str
    body: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.body).hexdigest().upper()


@dataclass(slots=True)
class ArchiveServer:
    captures: dict[str, list[Stored]] = field(default_factory=dict)
    originals: dict[str, str] = field(default_factory=dict)
    site: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path -> response
    failures: list[tuple[int, str]] = field(default_factory=list)  # next answers: status, path
    malformed_cdx: list[list[str]] = field(default_factory=list)
    requests: list[tuple[float, str, int]] = field(default_factory=list)
    base: str = ""

    def add_capture(
        self,
        url: str,
        timestamp: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/rss+xml",
    ) -> None:
        key = url_key(url)
        self.originals[key] = url
        self.captures.setdefault(key, []).append(Stored(timestamp, status, content_type, body))
        self.captures[key].sort(key=lambda s: s.timestamp)

    def fail_next(self, status: int, times: int = 1, path_prefix: str = "/") -> None:
        self.failures.extend([(status, path_prefix)] * times)

    def paths(self, prefix: str) -> list[str]:
        return [p for _, p, _ in self.requests if p.startswith(prefix)]

    # --- answers ----------------------------------------------------------------------------

    def cdx(self, query: dict[str, str]) -> bytes:
        url = query.get("url", "")
        lo = query.get("from", "0").ljust(14, "0")
        hi = query.get("to", "9").ljust(14, "9")
        wanted_status = None
        if query.get("filter", "").startswith("statuscode:"):
            wanted_status = query["filter"].split(":", 1)[1]
        fields = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        chosen = query["fl"].split(",") if query.get("fl") else fields
        rows: list[list[str]] = []
        seen: set[str] = set()
        for cap in self.captures.get(url_key(url), []):
            if not lo <= cap.timestamp <= hi:
                continue
            if wanted_status and str(cap.status) != wanted_status:
                continue
            if query.get("collapse", "").startswith("digest"):
                if cap.digest in seen:
                    continue
                seen.add(cap.digest)
            full = {
                "urlkey": surt(url),
                "timestamp": cap.timestamp,
                "original": self.originals[url_key(url)],
                "mimetype": cap.content_type,
                "statuscode": str(cap.status),
                "digest": cap.digest,
                "length": str(len(cap.body)),
            }
            rows.append([full[f] for f in chosen])
        if rows and self.malformed_cdx:
            rows[1:1] = self.malformed_cdx
        if query.get("output") == "json":
            return json.dumps([chosen, *rows] if rows else []).encode()
        return "".join(" ".join(r) + "\n" for r in rows).encode()

    def playback(self, rest: str) -> tuple[int, dict[str, str], bytes]:
        stamp, _, url = rest.partition("/")
        stamp = stamp.removesuffix("id_")
        caps = self.captures.get(url_key(unquote(url)), [])
        if not caps or not stamp.isdigit():
            return 404, {"Content-Type": "text/html"}, b"<html>Not in the archive.</html>"
        target = int(stamp.ljust(14, "0")[:14])
        best = min(caps, key=lambda c: abs(int(c.timestamp) - target))
        if best.timestamp != stamp:
            return 302, {"Location": f"/web/{best.timestamp}id_/{url}"}, b""
        return best.status, {"Content-Type": best.content_type}, best.body

    def respond(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        for n, (status, prefix) in enumerate(self.failures):
            if raw_path.startswith(prefix):
                del self.failures[n]
                return status, {"Retry-After": "0", "Content-Type": "text/plain"}, b"slow down"
        if parts.path.rstrip("/") == "/cdx/search/cdx":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            return 200, {"Content-Type": "application/json"}, self.cdx(query)
        if parts.path.startswith("/web/"):
            return self.playback(raw_path[len("/web/") :])
        if raw_path in self.site:
            status, ctype, body = self.site[raw_path]
            return status, {"Content-Type": ctype}, body
        return 404, {"Content-Type": "text/plain"}, b"not found"


@contextmanager
def serve(archive: ArchiveServer) -> Iterator[ArchiveServer]:
    """Run `archive` on 127.0.0.1 on a free port; `archive.base` is its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            status, headers, body = archive.respond(self.path)
            archive.requests.append((time.monotonic(), self.path, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    archive.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield archive
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
