"""Mistakes a user makes: each exits non-zero with one line naming the bad value, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import PROJECT_ROOT


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_DATA_DIR=str(tmp_path / "data"), NEWSDESK_DB=str(tmp_path / "n.duckdb"))
    env.update(extra)
    return env


def newsdesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], env=env, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str, code: int = 2) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsdesk: ")
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real warehouse: one demo pass (CliRunner, in process)."""
    db = tmp_path_factory.mktemp("errors") / "demo.duckdb"
    result = CliRunner().invoke(app, ["demo", "--db", str(db)], env={"NEWSDESK_DEMO_PORT": "18901"})
    assert result.exit_code == 0, result.output
    return db


def test_an_unusable_data_dir_fails_before_any_request(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/rss.xml").respond_with_data("<rss/>")
    feeds = tmp_path / "feeds.csv"
    feeds.write_text(f"url,outlet\n{httpserver.url_for('/rss.xml')},A\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = env_for(
        tmp_path, NEWSDESK_DATA_DIR=str(blocker / "data"), NEWSDESK_ALLOW_PRIVATE_HOSTS="1"
    )
    result = newsdesk(["run", "--feeds", str(feeds)], env)
    one_line_error(result, str(blocker / "data"), "not a writable folder")
    assert httpserver.log == []  # nothing was fetched


def test_an_unwritable_out_path_names_it(tmp_path: Path, warehouse: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = env_for(tmp_path, NEWSDESK_DB=str(warehouse))
    report = newsdesk(
        ["report", "--from", "2025-05-01", "--to", "2025-05-31", "--out", str(blocker / "r.html")],
        env,
    )
    one_line_error(report, str(blocker))
    export = newsdesk(["export", "--out", str(blocker / "export")], env)
    one_line_error(export, str(blocker))


def test_a_feed_that_is_not_a_url_is_refused(tmp_path: Path) -> None:
    result = newsdesk(
        ["feeds", "add", "not a url", "--path", str(tmp_path / "f.csv")], env_for(tmp_path)
    )
    one_line_error(result, "not a url")


def test_an_unknown_conflict_is_an_error_not_an_empty_result(
    tmp_path: Path, warehouse: Path
) -> None:
    env = env_for(tmp_path, NEWSDESK_DB=str(warehouse))
    search = newsdesk(["search", "ukraine", "--conflict", "Narnia"], env)
    one_line_error(search, "'Narnia'", "known:")
    report = newsdesk(
        ["report", "--from", "2025-05-01", "--to", "2025-05-31", "--conflict", "Narnia",
         "--out", str(tmp_path / "r.html")],
        env,
    )  # fmt: skip
    one_line_error(report, "'Narnia'")
    assert not (tmp_path / "r.html").exists()


def test_an_unknown_backfill_source_and_bad_sql(tmp_path: Path, warehouse: Path) -> None:
    env = env_for(tmp_path, NEWSDESK_DB=str(warehouse))
    backfill = newsdesk(
        ["backfill", "--from", "2025-05-01", "--to", "2025-05-02", "--source", "foo"], env
    )
    one_line_error(backfill, "'foo'", "wayback")
    sql = newsdesk(["query", "SELEKT 1"], env)
    one_line_error(sql, "SELEKT", code=1)


def test_demo_twice_into_one_database_keeps_one_row_per_article(warehouse: Path) -> None:
    from pipeline.warehouse import connect

    def counts() -> tuple[int, int]:
        with connect(warehouse, read_only=True) as con:
            row = con.execute(
                "SELECT count(*), count(DISTINCT content_hash) FROM articles"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    before = counts()
    result = CliRunner().invoke(
        app, ["demo", "--db", str(warehouse)], env={"NEWSDESK_DEMO_PORT": "18901"}
    )
    assert result.exit_code == 0, result.output
    assert counts() == before


def test_similarity_scores_pairs_and_names_a_bad_line(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        '{"pair_id": "p1", "text1": "Russia and Ukraine held talks in Istanbul on a prisoner '
        'exchange.", "text2": "Russland und die Ukraine verhandelten in Istanbul über einen '
        'Gefangenenaustausch."}\nnot json\n',
        encoding="utf-8",
    )
    result = newsdesk(["similarity", str(pairs)], env_for(tmp_path))
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert '"pair_id": "p1"' in line and '"same_story": true' in line
    assert "line 2" in result.stderr and "Traceback" not in result.stderr
