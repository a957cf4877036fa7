"""Serve a corpus of outlets on loopback, one port per outlet, like real sites would.

A corpus folder holds `feeds.csv` (outlet, slug, path, country, language) and one folder per
slug; `{{base}}` in served text files becomes that outlet's base URL. Responses carry ETag and
Last-Modified and answer conditional requests with 304, so repeated passes behave as on the web.
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.config import SEEDS_DIR
from pipeline.models import Feed

DEMO_DIR = SEEDS_DIR / "demo"
_TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(slots=True)
class ServedCorpus:
    root: Path
    bases: dict[str, str]
    feeds: list[Feed]
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # slug, path, status

    def requested(self, slug: str, path: str) -> bool:
        return any(s == slug and p == path for s, p, _ in self.requests)


def _handler(corpus: ServedCorpus, slug: str, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    folder = (corpus.root / slug).resolve()

    class Handler(BaseHTTPRequestHandler):
        server_version = "newsdesk-demo/1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            status = self._serve(path)
            with lock:
                corpus.requests.append((slug, path, status))

        def _serve(self, path: str) -> int:
            target = (folder / path.lstrip("/")).resolve()
            if not target.is_file() or folder not in target.parents:
                self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
                return 404
            body = target.read_bytes()
            ctype = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
            mime = (ctype or "").split(";")[0].strip()
            if not mime or mime.startswith("text/") or mime.endswith(("xml", "json")):
                body = body.replace(b"{{base}}", corpus.bases[slug].encode())
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag or (
                self.headers.get("If-None-Match") is None
                and self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return 304
            self._send(200, body, ctype or "application/octet-stream", etag, modified)
            return 200

        def _send(
            self, status: int, body: bytes, ctype: str, etag: str | None = None,
            modified: str | None = None,
        ) -> None:  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def read_corpus_feeds(root: Path) -> list[dict[str, str]]:
    with (root / "feeds.csv").open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


class DemoPortBusy(OSError):
    """A fixed demo port is taken (another demo or watcher running?)."""


@contextmanager
def serve_corpus(
    root: Path = DEMO_DIR, host: str = "127.0.0.1", *, first_port: int | None = None
) -> Iterator[ServedCorpus]:
    """Start one loopback server per outlet folder; yields the feeds with their live URLs.

    Ports are random unless `first_port` is given: then outlet n (in name order) listens on
    `first_port + n`, so the URLs, and the article ids made from them, are the same every run
    (`newsdesk demo` twice into one database stores each article once).
    """
    rows = read_corpus_feeds(root)
    slugs = sorted({row["slug"] for row in rows} | {p.name for p in root.iterdir() if p.is_dir()})
    corpus = ServedCorpus(root=root, bases={}, feeds=[])
    lock = threading.Lock()
    servers: list[ThreadingHTTPServer] = []
    try:
        for n, slug in enumerate(slugs):
            port = 0 if first_port is None else first_port + n
            try:
                server = ThreadingHTTPServer((host, port), _handler(corpus, slug, lock))
            except OSError as exc:
                raise DemoPortBusy(
                    f"demo port {host}:{port} is busy ({exc.strerror}): is another demo or "
                    "`watch --demo` running? Set NEWSDESK_DEMO_PORT to another first port"
                ) from None
            server.daemon_threads = True
            servers.append(server)
            corpus.bases[slug] = f"http://{host}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, daemon=True).start()
        corpus.feeds = [
            Feed(
                url=corpus.bases[row["slug"]] + "/" + row["path"].lstrip("/"),
                outlet=row.get("outlet") or None,
                country=row.get("country") or None,
                language=row.get("language") or None,
            )
            for row in rows
        ]
        yield corpus
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
