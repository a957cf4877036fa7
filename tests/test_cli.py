"""The `newsdesk` command line, run as a user would (a real subprocess where it matters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
NO_PARAMS = {"newsdesk", "newsdesk index rebuild"}  # commands that take no option at all


def all_commands() -> list[tuple[str, Any]]:
    root = get_command(app)
    out: list[tuple[str, Any]] = [("newsdesk", root)]

    def walk(prefix: str, group: Any) -> None:
        if hasattr(group, "commands"):
            for name, cmd in group.commands.items():
                out.append((f"{prefix} {name}", cmd))
                walk(f"{prefix} {name}", cmd)

    walk("newsdesk", root)
    return out


@pytest.mark.parametrize(("name", "command"), all_commands(), ids=lambda v: str(v))
def test_every_command_and_option_has_help_text(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"{name} has no help text"
    assert command.params or name in NO_PARAMS or hasattr(command, "commands")
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"{name} {param.opts} has no help text"
        if param.param_type_name == "argument":
            assert (getattr(param, "help", None) or "").strip(), f"{name} {param.name} has no help"


def test_expected_commands_exist() -> None:
    names = {n for n, _ in all_commands()}
    for wanted in ["run", "query", "extract", "feeds list", "feeds add", "feeds import-opml",
                   "reprocess", "demo"]:  # fmt: skip
        assert f"newsdesk {wanted}" in names


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_DATA_DIR=str(tmp_path / "data"), NEWSDESK_DB=str(tmp_path / "n.duckdb"))
    env.update(extra)
    return env


def newsdesk(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_with_a_bad_setting_exits_nonzero_with_a_one_line_reason(tmp_path: Path) -> None:
    result = newsdesk(["run"], env_for(tmp_path, NEWSDESK_RETRIES="many"))
    assert result.returncode == 2
    assert result.stderr.strip() == "newsdesk: NEWSDESK_RETRIES='many': expected a number"


def test_run_with_a_missing_feed_list_exits_nonzero_naming_it(tmp_path: Path) -> None:
    result = newsdesk(["run", "--feeds", str(tmp_path / "none.csv")], env_for(tmp_path))
    assert result.returncode == 2
    assert "none.csv: feed list not found" in result.stderr


def test_run_exits_zero_when_every_feed_fails(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.csv"
    # Port 9 on loopback: nothing listens, every fetch is refused; the pass still completes.
    feeds.write_text("url,outlet\nhttp://127.0.0.1:9/rss.xml,Nobody\n")
    env = env_for(tmp_path, NEWSDESK_ALLOW_PRIVATE_HOSTS="1", NEWSDESK_RETRIES="0")
    result = newsdesk(["run", "--feeds", str(feeds)], env)
    assert result.returncode == 0, result.stderr
    assert "with errors 1" in result.stdout
    query = newsdesk(["query", "SELECT outcome, error FROM feed_fetches", "--format", "json"], env)
    (row,) = json.loads(query.stdout)  # --format json: one JSON array
    assert row["outcome"] == "error"
    assert row["error"] == "robots.txt unavailable: connection refused"


def test_query_is_read_only_and_reports_sql_errors(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    missing = newsdesk(["query", "SELECT 1"], env)
    assert missing.returncode == 2 and "no database yet" in missing.stderr
    from pipeline.warehouse import connect, migrate

    with connect(tmp_path / "n.duckdb") as con:
        migrate(con)
    write = newsdesk(["query", "DELETE FROM articles"], env)
    assert write.returncode == 1 and "read-only" in write.stderr.lower()
    csv_out = newsdesk(["query", "SELECT 1 AS a, 'x' AS b", "--format", "csv"], env)
    assert csv_out.stdout.splitlines() == ["a,b", "1,x"]


def test_feeds_add_and_import_opml_and_list(tmp_path: Path) -> None:
    path = tmp_path / "feeds.csv"
    result = runner.invoke(
        app, ["feeds", "add", "http://a.test/rss", "--outlet", "A", "--path", str(path)]
    )
    assert result.exit_code == 0 and "added" in result.stdout
    result = runner.invoke(app, ["feeds", "add", "http://a.test/rss", "--path", str(path)])
    assert "already listed" in result.stdout
    opml = tmp_path / "x.opml"
    opml.write_text('<opml><body><outline text="B" xmlUrl="http://b.test/atom"/></body></opml>')
    result = runner.invoke(app, ["feeds", "import-opml", str(opml), "--path", str(path)])
    assert "added 1 feeds" in result.stdout
    result = runner.invoke(app, ["feeds", "list", "--path", str(path)])
    assert "http://a.test/rss" in result.stdout and "http://b.test/atom" in result.stdout


def test_extract_prints_one_json_object_per_file(tmp_path: Path) -> None:
    import gzip

    paragraphs = "".join(
        f"<p>Delegations met in Istanbul on Friday, round {n}, to discuss a ceasefire and the "
        f"exchange of {n * 100} prisoners, officials from both sides said afterwards.</p>"
        for n in range(1, 7)
    )
    page = (
        "<html><head><title>Ceasefire talks | Site</title></head><body><article>"
        f"<h1>Ceasefire talks</h1>{paragraphs}</article></body></html>"
    )
    (tmp_path / "a.html").write_text(page)
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(page.encode()))
    (tmp_path / "notes.txt").write_text("ignored")
    result = runner.invoke(app, ["extract", str(tmp_path), "--url", "http://s.test/a"])
    assert result.exit_code == 0, result.output
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(o["path"]).name for o in objs] == ["a.html", "b.html.gz"]
    for o in objs:
        assert set(o) == {
            "path",
            "url",
            "title",
            "author",
            "published_at",
            "language",
            "sitename",
            "text",
        }
        assert "Delegations met in Istanbul" in o["text"]
        assert o["language"] == "en"


def test_extract_names_a_missing_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 2


HEAVY = ("trafilatura", "pyarrow", "datasketch", "ahocorasick", "ahocorasick_rs", "httpx")


def test_the_cli_and_every_help_page_load_no_pipeline_stage() -> None:
    # A fresh interpreter: what `newsdesk --help` and `newsdesk COMMAND --help` import.
    code = (
        "import sys, json\n"
        "from typer.main import get_command\n"
        "from typer.testing import CliRunner\n"
        "from pipeline.cli import app\n"
        "at_import = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)\n"
        "runner = CliRunner()\n"
        "root = get_command(app)\n"
        "for name in [None, *root.commands]:\n"
        "    args = ['--help'] if name is None else [name, '--help']\n"
        "    assert runner.invoke(app, args).exit_code == 0, name\n"
        "after_help = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)\n"
        "print(json.dumps([at_import, after_help]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    at_import, after_help = json.loads(result.stdout)
    assert at_import == [] and after_help == []


def test_global_db_option_points_every_command_at_one_database(tmp_path: Path) -> None:
    from pipeline.warehouse import connect, migrate

    other = tmp_path / "elsewhere.duckdb"
    with connect(other) as con:
        migrate(con)
        con.execute("CREATE TABLE marker AS SELECT 42 AS answer")
    env = env_for(tmp_path)  # NEWSDESK_DB names another (missing) file
    result = newsdesk(["--db", str(other), "query", "SELECT answer FROM marker", "-f", "csv"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["answer", "42"]
