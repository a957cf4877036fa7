"""Searching: ranked hits from the index, shown with the warehouse's rows and a snippet each;
and `search_score(article_id, query)` for ad hoc SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import duckdb.func
import pyarrow as pa

from pipeline.search import text as tx
from pipeline.search.index import SearchIndex, article_key
from pipeline.search.sync import sql


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

    One index query per distinct query string per connection, cached: every article matching
    it is scored once, then each batch of rows is a dictionary lookup.
    """
    cache: dict[str, dict[int, float]] = {}

    def search_score(ids: pa.Array, queries: pa.Array) -> pa.Array:
        out: list[float | None] = []
        for article_id, q in zip(ids.to_pylist(), queries.to_pylist(), strict=True):
            if article_id is None or q is None:
                out.append(None)
                continue
            scores = cache.get(q)
            if scores is None:
                scores = cache[q] = index.scores(q)
            out.append(scores.get(article_key(article_id)))
        return pa.array(out, type=pa.float64())

    con.create_function(
        "search_score",
        search_score,
        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("DOUBLE"),
        type=duckdb.func.ARROW,
        null_handling=duckdb.func.SPECIAL,
        side_effects=False,
    )
