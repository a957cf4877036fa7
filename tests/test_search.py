"""Full-text search over the demo warehouse: BM25 ranking, filters, snippets, CLI."""

from __future__ import annotations

from concurrent.futures import Executor
from datetime import date
from pathlib import Path

import pytest
from fixtures.stories import corpus, support
from typer.testing import CliRunner

from pipeline.analysis.search import SearchError, search
from pipeline.cli import app
from pipeline.run import merge_and_update
from pipeline.warehouse import connect


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


def test_search_ranks_istanbul_ceasefire_stories_first_with_snippets(demo: Path) -> None:
    with connect(demo, read_only=True) as con:
        hits = search(con, "ceasefire istanbul", limit=5)
    assert len(hits) == 5
    assert all("istanbul" in (h.title + h.snippet).casefold() for h in hits[:3] if h.title)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any("ceasefire" in h.snippet.casefold() for h in hits)


def test_filters_by_day_and_conflict(demo: Path) -> None:
    with connect(demo, read_only=True) as con:
        day = search(con, "istanbul", date_from=date(2025, 5, 16), date_to=date(2025, 5, 16))
        sudan = search(con, "shelling drone", conflict="Sudan")
        none = search(con, "istanbul", conflict="Sahel")
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
    with connect(demo, read_only=True) as con:
        ru = search(con, "переговоры")
        tr = search(con, "görüşmede")
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
    with connect(demo, read_only=True) as con, pytest.raises(SearchError):
        search(con, "")


def test_search_without_an_index_says_what_to_do(tmp_path: Path) -> None:
    from pipeline.warehouse import migrate

    db = tmp_path / "empty.duckdb"
    with connect(db) as con:
        migrate(con)
    result = CliRunner().invoke(app, ["search", "x"], env={"NEWSDESK_DB": str(db)})
    assert result.exit_code == 2
    assert "no search index yet" in result.output


def test_newsdesk_query_can_rank_with_bm25(demo: Path) -> None:
    sql = (
        "SELECT title, fts_main_articles.match_bm25(article_id, 'prisoner exchange') AS score"
        " FROM articles WHERE score IS NOT NULL ORDER BY score DESC LIMIT 3"
    )
    result = CliRunner().invoke(
        app, ["query", sql, "--format", "jsonl"], env={"NEWSDESK_DB": str(demo)}
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip()]
    assert rows and "prisoner" in rows[0].casefold()
