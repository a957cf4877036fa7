"""The Parquet side of staging: one schema per staged table, and an atomic writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

_TS = pa.timestamp("us", tz="UTC")

ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("canonical_url", pa.string()),
        ("feed_url", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published_at", _TS),
        ("fetched_at", _TS),
        ("language", pa.string()),
        ("text", pa.string()),
        ("summary", pa.string()),
        ("word_count", pa.int32()),
        ("content_hash", pa.string()),
        ("text_source", pa.string()),
        ("run_id", pa.string()),
        ("sitename", pa.string()),
        ("http_status", pa.int32()),
        ("page_error", pa.string()),
        ("page_retry", pa.bool_()),
        ("is_conflict", pa.bool_()),
        ("conflict_score", pa.float64()),
        ("tagger_version", pa.string()),
        ("date_source", pa.string()),
        ("date_confidence", pa.string()),
    ]
)
TAG_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("kind", pa.string()),
        ("value", pa.string()),
        ("code", pa.string()),
        ("score", pa.float64()),
        ("evidence", pa.string()),
    ]
)
FETCH_SCHEMA = pa.schema(
    [
        ("feed_url", pa.string()),
        ("run_id", pa.string()),
        ("fetched_at", _TS),
        ("http_status", pa.int32()),
        ("outcome", pa.string()),
        ("error", pa.string()),
        ("items_seen", pa.int32()),
        ("items_new", pa.int32()),
        ("elapsed_ms", pa.int32()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("title", pa.string()),
        ("outlet", pa.string()),
        ("country", pa.string()),
        ("language", pa.string()),
    ]
)
# Backfill coverage: item rows (article_id set) and per-day rows (captures read, errors met).
COVERAGE_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("outlet", pa.string()),
        ("source", pa.string()),
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("captures", pa.int32()),
        ("errors", pa.int32()),
    ]
)
CHECKPOINT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("unit", pa.string()),
        ("day", pa.date32()),
        ("run_id", pa.string()),
    ]
)


def write(path: Path, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
