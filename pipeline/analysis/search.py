"""Full-text search: DuckDB's fts extension (BM25 over title and text), loaded from its wheel.

DuckDB's index is static (`PRAGMA create_fts_index`), so it is rebuilt after a load that changed
articles; `analysis_state` records the articles fingerprint it was built from, so a load that
crashed before the rebuild is caught up by the next one, and a search can tell a stale index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

FTS_SCHEMA = "fts_main_articles"
# Keep letters and digits of every script (the default keeps only a-z, dropping Cyrillic).
_IGNORE = r"(\.|[^\p{L}\p{N}])+"
_FINGERPRINT = (
    "SELECT count(*) || ':' || coalesce(max(updated_at)::VARCHAR, '') || ':'"
    " || coalesce(sum(hash(article_id, content_hash, title)) % 1000000007, 0) FROM articles"
)


class SearchError(RuntimeError):
    """Search cannot run; the message says why and what to do."""


def fts_extension_path() -> Path:
    """The signed fts binary shipped by the `duckdb-extension-fts` wheel for this DuckDB."""
    import duckdb_extension_fts  # type: ignore[import-untyped]

    base = Path(duckdb_extension_fts.__file__).parent / "extensions"
    path = base / f"v{duckdb.__version__}" / "fts.duckdb_extension"
    if not path.exists():
        found = sorted(p.parent.name for p in base.glob("*/fts.duckdb_extension"))
        raise SearchError(
            f"duckdb-extension-fts has no binary for DuckDB {duckdb.__version__} "
            f"(it ships {', '.join(found) or 'none'}); pin both to the same version"
        )
    return path


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD fts from the wheel (never from the network)."""
    con.execute(f"LOAD '{fts_extension_path()}'")


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(_FINGERPRINT).fetchone()
    return str(row[0]) if row else ""


def indexed_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM analysis_state WHERE name = 'fts'").fetchone()
    return str(row[0]) if row else None


def refresh_index(con: duckdb.DuckDBPyConnection, *, now: datetime, force: bool = False) -> bool:
    """Rebuild the BM25 index when articles changed since it was built; True if rebuilt."""
    current = fingerprint(con)
    if not force and current == indexed_fingerprint(con):
        return False
    load_fts(con)
    con.execute(
        "PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', overwrite = 1,"
        f" stemmer = 'porter', stopwords = 'english', ignore = '{_IGNORE}',"
        " strip_accents = 1, lower = 1)"
    )
    con.execute("INSERT OR REPLACE INTO analysis_state VALUES ('fts', ?, ?)", [current, now])
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    article_id: str
    score: float
    published_at: datetime | None
    outlet: str | None
    title: str | None
    url: str
    snippet: str


_SEARCH = f"""
WITH scored AS (
    SELECT article_id, {FTS_SCHEMA}.match_bm25(article_id, $q) AS score
    FROM articles
)
SELECT a.article_id, s.score, a.published_at, a.outlet, a.title, a.url, a.text
FROM scored AS s JOIN articles AS a USING (article_id)
WHERE s.score IS NOT NULL
  AND ($from::DATE IS NULL OR coalesce(a.published_at, a.first_seen_at) >= $from::DATE)
  AND ($to::DATE IS NULL OR coalesce(a.published_at, a.first_seen_at) < $to::DATE + 1)
  AND ($conflict::VARCHAR IS NULL OR EXISTS (
      SELECT 1 FROM article_tags AS t WHERE t.article_id = a.article_id AND t.kind = 'conflict'
        AND (lower(t.value) = lower($conflict) OR lower(t.code) = lower($conflict))))
ORDER BY s.score DESC, a.published_at DESC NULLS LAST, a.article_id
LIMIT $limit
"""


def search(
    con: duckdb.DuckDBPyConnection,
    q: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    conflict: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """Articles matching `q`, best BM25 score first, with a snippet around the matched words."""
    if not q.strip():
        raise SearchError("empty search query")
    try:
        con.execute(f"SELECT 1 FROM {FTS_SCHEMA}.docs LIMIT 1")
    except duckdb.CatalogException:
        raise SearchError("no search index yet: load some articles first (newsdesk run)") from None
    load_fts(con)
    rows = con.execute(
        _SEARCH,
        {"q": q, "from": date_from, "to": date_to, "conflict": conflict, "limit": limit},
    ).fetchall()
    terms = [t for t in re.findall(r"\w+", q.casefold()) if len(t) > 1]
    return [
        Hit(
            article_id=r[0],
            score=float(r[1]),
            published_at=r[2],
            outlet=r[3],
            title=r[4],
            url=r[5],
            snippet=snippet(r[6] or "", terms),
        )
        for r in rows
    ]


def snippet(text: str, terms: list[str], width: int = 220) -> str:
    """About `width` characters of `text` around the first place most query words meet."""
    flat = " ".join(text.split())
    low = flat.casefold()
    best, best_hits = 0, -1
    # Score each sentence start by how many distinct query words (or their stems) follow it.
    starts = [0] + [m.end() for m in re.finditer(r"[.!?]\s+", flat)]
    for start in starts:
        window = low[start : start + width]
        hits = sum(1 for t in terms if t[:5] in window)
        if hits > best_hits:
            best, best_hits = start, hits
    out = flat[best : best + width]
    if best + width < len(flat):
        out = out.rsplit(" ", 1)[0] + " …"
    return ("… " if best > 0 else "") + out


def is_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """True when articles changed after the index was built (a load is catching up)."""
    return indexed_fingerprint(con) != fingerprint(con)
