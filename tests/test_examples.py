"""The example queries the README shows run and return rows on the demo warehouse."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import pytest
from fixtures.stories import support

from pipeline.config import PROJECT_ROOT
from pipeline.warehouse import query

EXAMPLES = sorted((PROJECT_ROOT / "sql" / "examples").glob("*.sql"))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


def test_there_are_ten_commented_examples() -> None:
    assert len(EXAMPLES) == 10
    for path in EXAMPLES:
        assert path.read_text(encoding="utf-8").startswith("-- "), f"{path.name}: no comment"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_returns_rows_on_the_demo_corpus(demo: Path, path: Path) -> None:
    columns, rows = query(demo, path.read_text(encoding="utf-8"))
    assert columns and rows, f"{path.name} returned no rows"
