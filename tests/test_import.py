"""`newsdesk import`: an existing corpus through the one pass, streamed, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.warehouse import connect

TEXT = (
    "Delegations of Russia and Ukraine met in Istanbul on Friday for the first direct talks in "
    "three years. They agreed a prisoner exchange of 1,000 for 1,000 but no ceasefire. "
)


def records(n: int, *, offset: int = 0) -> list[dict[str, object]]:
    return [
        {
            "url": f"https://news.example/{offset + i}?utm_source=feed",
            "text": TEXT * 3 + f"Report number {offset + i}.",
            "title": f"Istanbul talks, report {offset + i}",
            "published_at": "2025-05-16T12:00:00Z",
            "outlet": "Example News",
            "extra_field": "ignored",
        }
        for i in range(n)
    ]


def write_jsonl(
    path: Path, rows: list[dict[str, object]], bad: dict[int, str] | None = None
) -> Path:
    lines = [json.dumps(r) for r in rows]
    for at, line in sorted((bad or {}).items()):
        lines.insert(at, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(db: Path, sql: str = "SELECT count(*) FROM articles") -> int:
    with connect(db, read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def invoke(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {"NEWSDESK_DB": str(tmp_path / "w.duckdb"), "NEWSDESK_DATA_DIR": str(tmp_path / "d")}
    result = CliRunner().invoke(app, ["import", *args], env=env)
    return result.exit_code, result.output


def test_importing_a_file_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "corpus.jsonl", records(12))
    code, out = invoke(tmp_path, str(src), "--chunk", "5")
    assert code == 0, out
    assert "12 records read, 12 new" in out
    db = tmp_path / "w.duckdb"
    assert count(db) == 12
    assert count(db, "SELECT count(*) FROM articles WHERE language = 'en'") == 12
    assert count(db, "SELECT count(*) FROM articles WHERE is_conflict") == 12
    assert count(db, "SELECT count(DISTINCT run_id) FROM articles") == 3  # chunks of 5
    code, out = invoke(tmp_path, str(src))
    assert code == 0, out
    assert "0 new" in out and count(db) == 12


def test_bad_lines_are_reported_by_number_and_skipped(tmp_path: Path) -> None:
    bad = {1: "{not json", 3: json.dumps({"url": "https://news.example/x"}),
           5: json.dumps({"url": "not a url", "text": "words"}), 7: "[1, 2]"}  # fmt: skip
    src = write_jsonl(tmp_path / "c.jsonl", records(6), bad)
    code, out = invoke(tmp_path, str(src))
    assert code == 0, out
    assert "import_bad_record 4" in out
    assert count(tmp_path / "w.duckdb") == 6


def test_parquet_is_read_in_batches_and_missing_files_are_named(tmp_path: Path) -> None:
    rows = records(4, offset=100)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet")
    code, out = invoke(tmp_path, str(tmp_path / "c.parquet"))
    assert code == 0, out
    assert count(tmp_path / "w.duckdb") == 4
    code, out = invoke(tmp_path, str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl: no such file" in out
