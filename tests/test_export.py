"""Parquet export, partitioned by day, read back by DuckDB as another tool would."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import duckdb
import pytest
from fixtures.stories import support
from typer.testing import CliRunner

from pipeline.analysis.export import EXPORTS
from pipeline.cli import app
from pipeline.warehouse import connect


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


def read_back(out: Path, table: str) -> int:
    row = duckdb.execute(
        f"SELECT count(*) FROM read_parquet('{out / table}/*/*.parquet', hive_partitioning = true)"
    ).fetchone()
    return int(row[0]) if row else 0


def test_export_writes_every_table_by_day_and_a_rerun_replaces_it(
    demo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    env = {"NEWSDESK_DB": str(demo)}
    for _ in range(2):  # the second export must replace the first, not add to it
        result = CliRunner().invoke(
            app, ["export", "--format", "parquet", "--out", str(out)], env=env
        )
        assert result.exit_code == 0, result.output
    with connect(demo, read_only=True) as con:
        for table in EXPORTS:
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert row is not None and row[0] > 0
            assert read_back(out, table) == row[0], table
    days = sorted(p.name for p in (out / "articles").iterdir())
    assert days[0] == "day=2025-05-12" and days[-1] == "day=2025-05-20"
    row = duckdb.execute(
        f"SELECT count(DISTINCT day), min(day)::VARCHAR FROM read_parquet("
        f"'{out}/article_tags/*/*.parquet', hive_partitioning = true)"
    ).fetchone()
    assert row == (9, "2025-05-12")
    assert not list(out.glob(".*"))  # no partial folders left behind


def test_export_rejects_unknown_formats_and_files_as_folders(demo: Path, tmp_path: Path) -> None:
    env = {"NEWSDESK_DB": str(demo)}
    csv = CliRunner().invoke(app, ["export", "--format", "csv", "--out", str(tmp_path)], env=env)
    assert csv.exit_code == 2 and "parquet" in csv.output  # the one format offered
    target = tmp_path / "file"
    target.write_text("x")
    clash = CliRunner().invoke(app, ["export", "--out", str(target)], env=env)
    assert clash.exit_code == 2 and "not a writable folder" in clash.output
