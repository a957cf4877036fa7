"""Views over the demo warehouse: applied by migrate, consistent with the base tables."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import pytest
from fixtures.stories import support

from pipeline.warehouse import SQL_DIR, connect, migrate

VIEWS = [
    "article_days",
    "daily_outlet",
    "daily_language",
    "daily_conflict",
    "daily_topic",
    "daily_actors",
    "daily_places",
    "outlet_conflict_share",
    "feed_health",
    "story_timeline",
    "story_outlets",
]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


def one(db: Path, sql: str) -> object:
    with connect(db, read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_every_view_file_is_applied_and_returns_rows(demo: Path) -> None:
    files = sorted(p.stem.split("_", 1)[1] for p in (SQL_DIR / "views").glob("*.sql"))
    assert sorted(VIEWS) == files
    for view in VIEWS:
        assert one(demo, f"SELECT count(*) FROM {view}"), view


def test_daily_counts_add_up_to_the_articles(demo: Path) -> None:
    articles = one(demo, "SELECT count(*) FROM articles")
    assert one(demo, "SELECT sum(articles) FROM daily_outlet") == articles
    assert one(demo, "SELECT sum(articles) FROM daily_language") == articles
    assert one(demo, "SELECT sum(size) FROM stories") == articles
    assert one(demo, "SELECT sum(articles) FROM story_timeline") == articles
    conflict = one(demo, "SELECT count(*) FROM articles WHERE is_conflict")
    assert one(demo, "SELECT sum(conflict_articles) FROM daily_outlet") == conflict


def test_feed_health_flags_the_broken_feed(demo: Path) -> None:
    with connect(demo, read_only=True) as con:
        rows = dict(con.execute("SELECT feed_url, status FROM feed_health").fetchall())
    broken = [url for url, status in rows.items() if status != "ok"]
    assert len(broken) == 1 and broken[0].endswith("/feeds/sport.xml")


def test_istanbul_talks_are_one_story_across_outlets_and_languages(demo: Path) -> None:
    with connect(demo, read_only=True) as con:
        story = con.execute(
            "SELECT story_id, list_sort(list(DISTINCT d.language)) FROM story_articles"
            " JOIN article_days AS d USING (article_id) WHERE story_id = (SELECT story_id"
            "  FROM story_articles JOIN articles USING (article_id)"
            "  WHERE title ILIKE 'Russia and Ukraine meet face to face%') GROUP BY story_id"
        ).fetchone()
        assert story is not None
        outlets = con.execute(
            "SELECT count(DISTINCT outlet) FROM story_outlets WHERE story_id = ?", [story[0]]
        ).fetchone()
    assert story[1] == ["en", "ru", "tr", "uk"]
    assert outlets is not None and outlets[0] >= 3


def test_an_edited_view_takes_effect_on_the_next_migrate(demo: Path, tmp_path: Path) -> None:
    db = support.copy_db(demo, tmp_path)
    with connect(db) as con:
        con.execute("CREATE OR REPLACE VIEW daily_outlet AS SELECT 1 AS stale")
        assert migrate(con) == []
        columns = [d[0] for d in con.execute("SELECT * FROM daily_outlet").description or []]
    assert columns == ["day", "outlet", "articles", "conflict_articles"]
