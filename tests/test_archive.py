"""Raw captures: what CaptureWriter writes, read_captures streams back; damage is reported."""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.archive import Capture, CaptureWriter, read_captures, warc_files


def _capture(n: int) -> Capture:
    body = f"<html><body><p>{'story text ' * 200}{n}</p></body></html>".encode()
    return Capture(
        url=f"https://example.org/{n}",
        fetched_at=datetime(2025, 5, 16, 12, n, tzinfo=UTC),
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
        kind="page",
    )


def test_captures_round_trip(tmp_path: Path) -> None:
    with CaptureWriter(tmp_path, "run") as writer:
        for n in range(3):
            writer.write(_capture(n))
    (path,) = warc_files([tmp_path])
    got = list(read_captures(path))
    assert [c.url for c in got] == [f"https://example.org/{n}" for n in range(3)]
    assert got[2].body == _capture(2).body and got[0].kind == "page"


def test_a_truncated_file_yields_what_came_before_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with CaptureWriter(tmp_path, "run") as writer:
        for n in range(3):
            writer.write(_capture(n))
    (path,) = warc_files([tmp_path])
    # Uncompress, cut the last record in half, write it back as one gzip member.
    raw = gzip.decompress(path.read_bytes())
    cut = tmp_path / "cut.warc"
    cut.write_bytes(raw[: raw.rindex(b"WARC/1.") + 400])
    with caplog.at_level(logging.WARNING, logger="pipeline.archive"):
        got = list(read_captures(cut))
    assert [c.url for c in got] == ["https://example.org/0", "https://example.org/1"]
    assert any(str(cut) in r.message and "after 2 captures" in r.message for r in caplog.records)
