"""Searching: ranked hits from the index, shown with the warehouse's rows and a snippet each;
and `search_score(article_id, query)` for ad hoc SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import duckdb.func

from pipeline.search import text as tx
from pipeline.search.index import KEY_SQL, SearchIndex
from pipeline.search.sync import sql

if TYPE_CHECKING:  # imported by the SQL function only: `newsdesk search` starts faster
    import numpy as np
    import numpy.typing as npt


class SearchError(RuntimeError):
    """Search cannot run; the message says why and what to do."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    article_id: str
    score: float
    published_at: datetime | None
    outlet: str | None
    title: str | None
    url: str
    snippet: str


def search(
    con: duckdb.DuckDBPyConnection,
    index: SearchIndex,
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
    found = index.search(q, date_from=date_from, date_to=date_to, conflict=conflict, limit=limit)
    if not found:
        return []
    scores = {h.article_id: h.score for h in found}
    rows = con.execute(sql("hit_rows"), {"ids": list(scores)}).fetchall()
    words = tx.analyse_query(q).words
    hits = [
        Hit(
            article_id=r[0],
            score=scores[r[0]],
            published_at=r[1],
            outlet=r[2],
            title=r[3],
            url=r[4],
            snippet=snippet(r[5] or "", words),
        )
        for r in rows
    ]
    # An id the warehouse no longer has (index ahead of a restored warehouse) is simply absent.
    hits.sort(key=lambda h: (-h.score, -(h.published_at.timestamp() if h.published_at else 0)))
    return hits


def snippet(text: str, words: tuple[str, ...], width: int = 220) -> str:
    """About `width` characters of `text` from the sentence where most query words meet."""
    flat = " ".join(text.split())
    # Prefixes match inflected forms (the index stems; a snippet need not be exact).
    stems = [w[:5] for w in words if len(w) > 1]
    best, best_hits = 0, -1
    starts = [0] + [m.end() for m in re.finditer(r"[.!?]\s+", flat)]
    for start in starts:
        window = tx.fold(flat[start : start + width])
        hits = sum(1 for s in stems if s in window)
        if hits > best_hits:
            best, best_hits = start, hits
    out = flat[best : best + width]
    if best + width < len(flat):
        out = out.rsplit(" ", 1)[0] + " …"
    return ("… " if best > 0 else "") + out


def register_sql_functions(con: duckdb.DuckDBPyConnection, index: SearchIndex) -> None:
    """Add `search_score(article_id, query) -> DOUBLE` (BM25; NULL: no match) to `con`.

    A temporary macro over a vectorised Python function of the id's 64-bit key (`KEY_SQL`,
    what the index stores): one index query per distinct query string per
    connection, cached; each batch of rows is then a sorted-array lookup in numpy.
    """
    cache: dict[str, tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]] = {}

    # DuckDB evaluates the annotations: pyarrow arrays, imported lazily, so typed as Any here.
    def search_score_key(keys: Any, queries: Any) -> Any:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        key_np = keys.fill_null(0).to_numpy(zero_copy_only=False).astype(np.uint64)
        out = np.full(len(key_np), np.nan)
        for q in pc.unique(queries).to_pylist():
            if q is None:
                continue
            if q not in cache:
                cache[q] = index.scores(q)
            found_keys, found_scores = cache[q]
            if not len(found_keys):
                continue
            rows = pc.equal(queries, q).fill_null(False).to_numpy(zero_copy_only=False)
            wanted = key_np[rows]
            at = np.minimum(np.searchsorted(found_keys, wanted), len(found_keys) - 1)
            out[rows] = np.where(found_keys[at] == wanted, found_scores[at], np.nan)
        missing = np.isnan(out) | keys.is_null().to_numpy(zero_copy_only=False)
        return pa.array(out, type=pa.float64(), mask=missing)

    con.create_function(
        "search_score_key",
        search_score_key,
        [duckdb.sqltype("UBIGINT"), duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("DOUBLE"),
        type=duckdb.func.ARROW,
        null_handling=duckdb.func.SPECIAL,
        side_effects=False,
    )
    key = KEY_SQL.format(id="article_id")
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO search_score(article_id, q) AS search_score_key({key}, q)"
    )
