"""Raw captures: write what was fetched to WARC files, read WARC/ARC files back."""

from __future__ import annotations

import gzip
import io
import logging
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

log = logging.getLogger(__name__)

CaptureKind = Literal["feed", "page", "robots", "other"]
KIND_HEADER = "WARC-Newsdesk-Kind"
# Headers that describe the wire encoding of a body we store decoded.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    url: str
    fetched_at: datetime
    status: int
    headers: dict[str, str]
    body: bytes
    kind: CaptureKind = "other"


class CaptureWriter:
    """Append responses to gzipped WARC files from a background thread, rotating at `max_bytes`.

    warcio gzips at level 9 on the caller's thread, which cost a pass more than extraction did;
    here each record is serialised, gzipped at `level` as its own member (what readers expect of
    a .warc.gz) and written by one thread, so the event loop only enqueues. Level 1 takes 3 ms
    for a 150 KB page against 11 ms at level 6, for files about 19% larger (measured on the
    fundus pages): on two cores the CPU is worth more than the disk.
    """

    def __init__(
        self, folder: Path, prefix: str, *, max_bytes: int = 512 * 1024 * 1024, level: int = 1,
        queue_size: int = 64,
    ) -> None:  # fmt: skip
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.level = level
        self.paths: list[Path] = []
        self.records = 0
        self._fh: BinaryIO | None = None
        self._queue: queue.Queue[Capture | None] = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="warc-writer", daemon=True)
        self._thread.start()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, capture: Capture) -> None:
        """Queue one capture (blocks only when the writer is `queue_size` records behind)."""
        if self._error is not None:
            raise OSError(f"{self.folder}: writing raw captures failed: {self._error}")
        self._queue.put(capture)

    def close(self) -> None:
        """Write what is queued, then publish the file (`.open` marks one still being written)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise OSError(f"{self.folder}: writing raw captures failed: {self._error}")

    def _drain(self) -> None:
        try:
            while (capture := self._queue.get()) is not None:
                self._write(capture)
        except BaseException as exc:  # reported by the next write() or close()
            self._error = exc
            while self._queue.get() is not None:  # unblock producers until close()
                pass
        finally:
            self._publish()

    def _file(self) -> BinaryIO:
        if self._fh is not None and self._fh.tell() < self.max_bytes:
            return self._fh
        self._publish()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}-{len(self.paths):03d}.warc.gz.open"
        self._fh = path.open("wb")
        self.paths.append(path)
        return self._fh

    def _write(self, capture: Capture) -> None:
        header_items = [
            (name, value)
            for name, value in capture.headers.items()
            if name.lower() not in _WIRE_HEADERS
        ]
        header_items.append(("Content-Length", str(len(capture.body))))
        http_headers = StatusAndHeaders(
            f"{capture.status} {'OK' if capture.status == 200 else 'Status'}",
            header_items,
            protocol="HTTP/1.1",
        )
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False)
        record = writer.create_warc_record(
            capture.url,
            "response",
            payload=io.BytesIO(capture.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": capture.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                KIND_HEADER: capture.kind,
            },
        )
        writer.write_record(record)
        self._file().write(gzip.compress(buffer.getvalue(), compresslevel=self.level, mtime=0))
        self.records += 1

    def _publish(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            open_path = self.paths[-1]
            final = open_path.with_suffix("")
            open_path.replace(final)
            self.paths[-1] = final
        self._fh = None


def warc_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the WARC/ARC files below them, in name order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz"))
            )
        elif path.exists():
            out.append(path)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveRecord:
    """One HTTP response record of a WARC/ARC file, or the damage found in its place."""

    url: str
    warc_date: datetime
    status: int
    headers: dict[str, str]  # lower-case names
    kind: str | None  # newsdesk's own WARC-Newsdesk-Kind header, if any
    body: bytes | None  # None: truncated, unreadable or too large
    problem: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").lower()


def iter_records(path: Path, *, max_body: int | None = None) -> Iterator[ArchiveRecord]:
    """Stream the response records of one WARC/ARC file (gzip or plain), one at a time.

    A damaged record comes with a `problem` and no body: cut short by the end of the file,
    unreadable, or over `max_body` bytes. After an unreadable one the stream ends.
    """
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh, arc2warc=True)
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                return
            except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
                yield _broken(f"unreadable record: {type(exc).__name__}: {exc}")
                return
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
            problem = None
            try:
                stream = record.content_stream()
                body: bytes | None = (
                    stream.read() if max_body is None else stream.read(max_body + 1)
                )
            except (OSError, EOFError, ValueError) as exc:
                body, problem = None, f"truncated record: {type(exc).__name__}"
            if body is not None and max_body is not None and len(body) > max_body:
                body, problem = None, f"body larger than {max_body} bytes"
            elif body is not None and getattr(record.raw_stream, "limit", 0) > 0:
                # The file ended inside this record: its body is cut short.
                body, problem = None, "truncated record"
            try:
                status = int(record.http_headers.get_statuscode() or 0)
            except ValueError:
                status = 0
            yield ArchiveRecord(
                url=url,
                warc_date=_warc_date(record.rec_headers.get_header("WARC-Date")),
                status=status,
                headers={k.lower(): v for k, v in record.http_headers.headers},
                kind=record.rec_headers.get_header(KIND_HEADER),
                body=body,
                problem=problem,
            )


def _broken(problem: str) -> ArchiveRecord:
    epoch = datetime.fromtimestamp(0, tz=UTC)
    return ArchiveRecord(
        url="", warc_date=epoch, status=0, headers={}, kind=None, body=None, problem=problem
    )


def read_captures(path: Path) -> Iterator[Capture]:
    """Stream the HTTP responses in one WARC or ARC file; damage ends the stream.

    What came before a damaged record is still good; the damage is logged with the file name,
    how many captures were read and the cause.
    """
    read = 0
    for record in iter_records(path):
        if record.problem is not None or record.body is None:
            log.warning("%s: %s after %d captures", path, record.problem, read)
            return
        if not record.url:
            continue
        read += 1
        yield Capture(
            url=record.url,
            fetched_at=record.warc_date,
            status=record.status,
            headers=record.headers,
            body=record.body,
            kind=_kind(record.kind),
        )


def _kind(value: str | None) -> CaptureKind:
    if value in ("feed", "page", "robots"):
        return value  # type: ignore[return-value]
    return "other"


def _warc_date(value: str | None) -> datetime:
    if value:
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(0, tz=UTC)
