"""Full-text search over the demo warehouse: BM25 ranking, filters, snippets, CLI, catch-up."""

from __future__ import annotations

from concurrent.futures import Executor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fixtures.stories import corpus, support
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.run import merge_and_update
from pipeline.search import Hit, SearchError, SearchIndex, index_path, search
from pipeline.warehouse import connect


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


def find(db: Path, q: str, **filters: Any) -> list[Hit]:
    with connect(db, read_only=True) as con, SearchIndex.open(index_path(db)) as index:
        return search(con, index, q, **filters)


def test_search_ranks_istanbul_ceasefire_stories_first_with_snippets(demo: Path) -> None:
    hits = find(demo, "ceasefire istanbul", limit=5)
    assert len(hits) == 5
    assert all("istanbul" in (h.title + h.snippet).casefold() for h in hits[:3] if h.title)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("ceasefire" in h.snippet.casefold() for h in hits)


def test_filters_by_day_and_conflict(demo: Path) -> None:
    day = find(demo, "istanbul", date_from=date(2025, 5, 16), date_to=date(2025, 5, 16))
    sudan = find(demo, "shelling drone", conflict="Sudan")
    none = find(demo, "istanbul", conflict="Sahel")
    assert day and all(h.published_at and h.published_at.date() == date(2025, 5, 16) for h in day)
    assert sudan
    with connect(demo, read_only=True) as con:
        tagged = {
            r[0]
            for r in con.execute(
                "SELECT article_id FROM article_tags WHERE kind = 'conflict' AND value = 'Sudan'"
            ).fetchall()
        }
    assert {h.article_id for h in sudan} <= tagged
    assert none == []


def test_search_finds_cyrillic_and_turkish_words(demo: Path) -> None:
    ru = find(demo, "переговоры")
    tr = find(demo, "görüşmede")
    assert ru and ru[0].outlet == "Bosphorus Daily"
    assert tr and "Dolmabah" in (tr[0].title or "")


def test_a_search_right_after_a_load_finds_what_it_stored(demo: Path, tmp_path: Path) -> None:
    db = support.copy_db(demo, tmp_path)
    row = {**corpus.build()[0], "id": "fresh", "title": "Quorvath accord signed"}
    row["text"] = "Delegates signed the quorvath accord in Istanbul. " + row["text"]
    corpus.stage([row], tmp_path / "staging", "fresh-run")
    merge_and_update(db, tmp_path / "staging")
    result = CliRunner().invoke(app, ["search", "quorvath"], env={"NEWSDESK_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert "Quorvath accord signed" in result.output
    assert "1 results" in result.output


def test_cli_rejects_bad_input_with_one_line(demo: Path) -> None:
    env = {"NEWSDESK_DB": str(demo)}
    bad_date = CliRunner().invoke(app, ["search", "x", "--from", "16/05/2025"], env=env)
    assert bad_date.exit_code == 2
    assert bad_date.output.strip().count("\n") == 0 and "YYYY-MM-DD" in bad_date.output
    empty = CliRunner().invoke(app, ["search", "  "], env=env)
    assert empty.exit_code == 2 and "empty search query" in empty.output
    with pytest.raises(SearchError):
        find(demo, "")


def test_search_without_an_index_says_what_to_do(tmp_path: Path) -> None:
    from pipeline.warehouse import migrate

    db = tmp_path / "empty.duckdb"
    with connect(db) as con:
        migrate(con)
    result = CliRunner().invoke(app, ["search", "x"], env={"NEWSDESK_DB": str(db)})
    assert result.exit_code == 2
    assert "no search index" in result.output and "newsdesk index rebuild" in result.output
    rebuilt = CliRunner().invoke(app, ["index", "rebuild"], env={"NEWSDESK_DB": str(db)})
    assert rebuilt.exit_code == 0, rebuilt.output
    again = CliRunner().invoke(app, ["search", "x"], env={"NEWSDESK_DB": str(db)})
    assert again.exit_code == 0 and "no articles match" in again.output


def test_newsdesk_query_can_rank_with_search_score(demo: Path) -> None:
    sql = (
        "SELECT title, search_score(article_id, 'prisoner exchange') AS score"
        " FROM articles WHERE score IS NOT NULL ORDER BY score DESC LIMIT 3"
    )
    result = CliRunner().invoke(
        app, ["query", sql, "--format", "jsonl"], env={"NEWSDESK_DB": str(demo)}
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip()]
    assert rows and "prisoner" in rows[0].casefold()


def test_a_kill_between_stories_and_index_is_caught_up_by_the_next_load(
    demo: Path, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from pipeline.config import PROJECT_ROOT

    db = support.copy_db(demo, tmp_path)
    rows = corpus.build()
    first = {**rows[0], "id": "k1", "title": "Zorbulax summit opens"}
    first["text"] = "The zorbulax summit opened in Geneva. " + first["text"]
    corpus.stage([first], tmp_path / "staging", "killed-run")
    code = (
        "import sys; from pathlib import Path; from pipeline.run import merge_and_update; "
        "merge_and_update(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    env = {**os.environ, "NEWSDESK_TEST_CRASH_AT": "indexing"}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(db), str(tmp_path / "staging")],
        env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=120, start_new_session=True,
    )  # fmt: skip
    assert proc.returncode == -9, proc.stderr
    assert find(db, "zorbulax") == []  # merged, but the index never heard of it
    second = {**rows[1], "id": "k2", "title": "Quelvarin talks end"}
    corpus.stage([second], tmp_path / "staging", "next-run")
    merge_and_update(db, tmp_path / "staging")
    assert [h.title for h in find(db, "zorbulax")] == ["Zorbulax summit opens"]
    assert [h.title for h in find(db, "quelvarin")] == ["Quelvarin talks end"]
