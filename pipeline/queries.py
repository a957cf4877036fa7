"""Static SQL by name: `load_query("area/name")` is the text of `sql/queries/area/name.sql`."""

from __future__ import annotations

from functools import cache

from pipeline.config import PROJECT_ROOT

QUERIES_DIR = PROJECT_ROOT / "sql" / "queries"


class QueryNotFound(LookupError):
    """No `.sql` file by that name; a programming error, named with the path looked for."""


@cache
def load_query(name: str) -> str:
    """The statement in `sql/queries/<name>.sql` (read once per process)."""
    path = QUERIES_DIR / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryNotFound(f"{path}: no such query file") from None
