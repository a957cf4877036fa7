"""Raw captures: write what was fetched to WARC files, read WARC/ARC files back."""

from __future__ import annotations

import io
import os
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
    """Append responses to a gzipped WARC file, rotating at `max_bytes`."""

    def __init__(self, folder: Path, prefix: str, *, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.paths: list[Path] = []
        self.records = 0
        self._fh: BinaryIO | None = None
        self._writer: WARCWriter | None = None

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open(self) -> WARCWriter:
        if self._writer is not None and self._fh is not None and self._fh.tell() < self.max_bytes:
            return self._writer
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}-{len(self.paths):03d}.warc.gz.open"
        self._fh = path.open("wb")
        self._writer = WARCWriter(self._fh, gzip=True)
        self.paths.append(path)
        return self._writer

    def write(self, capture: Capture) -> None:
        writer = self._open()
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
        self.records += 1

    def close(self) -> None:
        """Flush and publish the current file (the `.open` suffix marks one still being written)."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            open_path = self.paths[-1]
            final = open_path.with_suffix("")
            open_path.replace(final)
            self.paths[-1] = final
        self._fh = None
        self._writer = None


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


def read_captures(path: Path) -> Iterator[Capture]:
    """Stream the HTTP responses in one WARC or ARC file; a truncated tail ends the stream."""
    with path.open("rb") as fh:
        try:
            for record in ArchiveIterator(fh, arc2warc=True):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                if not url:
                    continue
                try:
                    body = record.content_stream().read()
                except (OSError, EOFError, ValueError):
                    return  # truncated record: what came before is still good
                yield Capture(
                    url=url,
                    fetched_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
                    status=int(record.http_headers.get_statuscode() or 0),
                    headers={k.lower(): v for k, v in record.http_headers.headers},
                    body=body,
                    kind=_kind(record.rec_headers.get_header(KIND_HEADER)),
                )
        except (ArchiveLoadFailed, OSError, EOFError, ValueError):
            return


def _kind(value: str | None) -> CaptureKind:
    if value in ("feed", "page", "robots"):
        return value  # type: ignore[return-value]
    return "other"


def _warc_date(value: str | None) -> datetime:
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(0, tz=UTC)
