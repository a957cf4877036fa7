"""Shared fixtures: real loopback servers, real DuckDB files in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

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
    base = Settings.from_env(env={})
    return replace(
        base,
        db_path=tmp_path / "newsdesk.duckdb",
        data_dir=tmp_path / "data",
        workers=2,
        concurrency=4,
        lock_wait_seconds=2.0,
        http=replace(
            base.http,
            allow_private_hosts=True,
            min_host_delay=0.0,
            retries=1,
            backoff_base=0.01,
            backoff_cap=0.05,
            connect_timeout=2.0,
            read_timeout=2.0,
            total_timeout=5.0,
        ),
    )


@pytest.fixture(scope="session")
def pool() -> Iterator[object]:
    """One extraction pool for the session: worker start-up is paid once."""
    from pipeline.run import make_pool

    with make_pool(2) as executor:
        yield executor
