"""Shared fixtures: real loopback servers, real DuckDB files in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.settings import loopback_settings

from pipeline.config import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real-world evaluation data beside the project; tests using it skip without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the project")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a pass against loopback servers, into a DuckDB file under tmp_path."""
    return loopback_settings(tmp_path)


@pytest.fixture(scope="session")
def pool() -> Iterator[object]:
    """One extraction pool for the session: worker start-up is paid once."""
    from pipeline.run import make_pool

    with make_pool(2) as executor:
        yield executor
