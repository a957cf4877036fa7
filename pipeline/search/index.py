"""The search index: a Tantivy index beside the warehouse, updated in segments.

Layout: `<db>.search/` holds Tantivy's files plus `newsdesk.json` (schema version and the
watermark: the newest `articles.updated_at` the index holds). The watermark is written only
after Tantivy's commit, so a crash anywhere leaves it at or behind what the index holds, and the
next update re-indexes from it (an upsert is idempotent).

Concurrency: any number of readers, one writer. Tantivy's commit swaps `meta.json` atomically
and guards segment files being opened by a reader (its meta lock), so a reader sees the last
commit; a second writer waits on `newsdesk-writer.lock` (flock, released when the process dies).

Stored per article: only its id (BM25 statistics, postings without positions, a day and the
conflict tags for filters). Titles, URLs and snippets come from the warehouse.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Self

import tantivy

from pipeline.search import text as tx

if TYPE_CHECKING:  # numpy is imported when scores are asked for: `newsdesk search` needs none
    import numpy as np
    import numpy.typing as npt

SCHEMA_VERSION = 1
STATE_FILE = "newsdesk.json"
LOCK_FILE = "newsdesk-writer.lock"
_EPOCH = date(1970, 1, 1).toordinal()
# Writer memory: Tantivy flushes a segment when the budget fills; 1 thread leaves a core free.
UPDATE_HEAP = 64_000_000
REBUILD_HEAP = 256_000_000


class SearchIndexError(RuntimeError):
    """The search index cannot be used; the message says why and what to do."""


class SearchIndexMissing(SearchIndexError):
    """No index (or one from another schema version) at the path: rebuild it."""


class SearchIndexLocked(SearchIndexError):
    """Another process holds the index for writing longer than we would wait."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexDoc:
    """What the index needs of one article."""

    article_id: str
    title: str | None
    text: str
    language: str | None
    published_at: datetime | None  # published_at, else first_seen_at (what date filters see)
    conflicts: tuple[str, ...] = ()  # conflict tag values and codes


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexHit:
    article_id: str
    score: float


def index_path(db_path: Path) -> Path:
    """Where the index of a warehouse file lives: `<db>.search/` beside it."""
    return db_path.with_name(db_path.name + ".search")


def watermark_of(path: Path) -> datetime | None:
    """The watermark of the index at `path` without opening it (None: no usable index)."""
    state = _state(path)
    value = state.get("watermark")
    if state.get("schema") != SCHEMA_VERSION or not isinstance(value, str):
        return None
    return datetime.fromisoformat(value)


# The SQL twin of `article_key` (a hex cast is ~5x cheaper than md5 over a million ids).
KEY_SQL = (
    "CASE WHEN regexp_full_match(left({id}, 16), '[0-9a-fA-F]{{1,16}}')"
    " THEN ('0x' || left({id}, 16))::UBIGINT ELSE md5_number_upper({id}) END"
)
_HEX16 = re.compile(r"[0-9a-fA-F]{1,16}")


def article_key(article_id: str) -> int:
    """A 64-bit key of an article id, equal to `KEY_SQL` in DuckDB: the id's first 16 hex
    digits (ids are sha256 hex), else DuckDB's `md5_number_upper(article_id)`."""
    head = article_id[:16]
    if _HEX16.fullmatch(head):
        return int(head, 16)
    return int.from_bytes(hashlib.md5(article_id.encode()).digest()[:8], "little")


def day_number(value: datetime | date) -> int:
    """Days since 1970-01-01 of a UTC time (or a date), the index's date field."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value.toordinal() - _EPOCH


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("key", fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("conflict", tokenizer_name="raw", index_option="basic")
    for group in tx.GROUPS:
        # Term frequencies without positions: BM25 needs no more, and positions double the size.
        for part in ("title", "body"):
            builder.add_text_field(
                f"{part}_{group}", tokenizer_name=tx.tokenizer_name(group), index_option="freq"
            )
    return builder.build()


class SearchIndex:
    """One open index: search it, or (opened writable) upsert, delete, commit and rebuild."""

    def __init__(self, path: Path, index: tantivy.Index, lock: IO[str] | None) -> None:
        self.path = path
        self._index = index
        self._lock = lock
        self._writer: tantivy.IndexWriter | None = None
        self._schema = index.schema

    @classmethod
    def open(cls, path: Path, *, writable: bool = False, lock_wait_s: float = 60.0) -> SearchIndex:
        """Open the index at `path`; writable creates it (or replaces one of another schema)."""
        if not writable:
            if _state(path).get("schema") != SCHEMA_VERSION or not tantivy.Index.exists(str(path)):
                raise SearchIndexMissing(
                    f"{path}: no search index (or an older one): run `newsdesk index rebuild`"
                )
            index = tantivy.Index.open(str(path))
            tx.register(index)
            return cls(path, index, None)
        path.mkdir(parents=True, exist_ok=True)
        lock = _acquire(path / LOCK_FILE, wait_s=lock_wait_s)
        try:
            if _state(path).get("schema") != SCHEMA_VERSION:
                _reset(path)
            index = tantivy.Index(_schema(), path=str(path), reuse=True)
            tx.register(index)
        except BaseException:
            lock.close()
            raise
        return cls(path, index, lock)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Drop uncommitted changes, let merges started by commits finish, release the lock."""
        if self._writer is not None:
            self._writer.rollback()
            # Merges run in Tantivy's threads: waiting keeps the segment count bounded.
            self._writer.wait_merging_threads()
            self._writer = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- writing ---------------------------------------------------------------------------

    def _write(self, heap: int = UPDATE_HEAP) -> tantivy.IndexWriter:
        if self._lock is None:
            raise SearchIndexError(f"{self.path}: opened read-only")
        if self._writer is None:
            self._writer = self._index.writer(heap_size=heap, num_threads=1)
        return self._writer

    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        """Add or replace articles (by id); visible after `commit`. Returns how many."""
        writer = self._write()
        n = 0
        for doc in docs:
            writer.delete_documents_by_term("id", doc.article_id)
            writer.add_document(self._document(doc))
            n += 1
        return n

    def delete(self, ids: Iterable[str]) -> int:
        """Remove articles by id; visible after `commit`."""
        writer = self._write()
        n = 0
        for article_id in ids:
            writer.delete_documents_by_term("id", article_id)
            n += 1
        return n

    def commit(self, watermark: datetime | None) -> None:
        """Make the changes visible, then record `watermark` (the newest updated_at indexed)."""
        if self._writer is not None:
            self._writer.commit()
        elif self._lock is None:
            raise SearchIndexError(f"{self.path}: opened read-only")
        _write_state(self.path, watermark)

    def rebuild(self, docs: Iterable[IndexDoc], *, watermark: datetime | None) -> int:
        """Replace the whole index by `docs` in one commit (readers see old or new, never half)."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer.wait_merging_threads()
            self._writer = None
        writer = self._write(REBUILD_HEAP)
        writer.delete_all_documents()
        n = 0
        for doc in docs:
            writer.add_document(self._document(doc))
            n += 1
        self.commit(watermark)
        return n

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        group = tx.group_of(doc.language)
        out = tantivy.Document()
        out.add_text("id", doc.article_id)
        out.add_unsigned("key", article_key(doc.article_id))
        if doc.published_at is not None:
            out.add_integer("day", day_number(doc.published_at))
        for code in doc.conflicts:
            out.add_text("conflict", code.casefold())
        if doc.title:
            out.add_text(f"title_{group}", tx.prepare(doc.title))
        out.add_text(f"body_{group}", tx.prepare(doc.text))
        return out

    # -- reading ---------------------------------------------------------------------------

    def watermark(self) -> datetime | None:
        """The newest `articles.updated_at` the index holds (None: empty or never committed)."""
        return watermark_of(self.path)

    def num_docs(self) -> int:
        self._index.reload()
        return int(self._index.searcher().num_docs)

    def query(
        self,
        q: str,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        conflict: str | None = None,
    ) -> tantivy.Query | None:
        """The Tantivy query for `q` and the filters (None: `q` has no searchable word)."""
        terms = tx.analyse_query(q)
        if terms.empty:
            return None
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, f"{part}_{g}", t))
            for g, tokens in terms.by_group.items()
            for t in tokens
            for part in ("title", "body")
        ]
        text_query = tantivy.Query.boolean_query(clauses)
        filters = []
        if date_from is not None or date_to is not None:
            filters.append(
                tantivy.Query.range_query(
                    self._schema,
                    "day",
                    tantivy.FieldType.Integer,
                    day_number(date_from) if date_from else -(2**40),
                    day_number(date_to) if date_to else 2**40,
                )
            )
        if conflict is not None:
            filters.append(tantivy.Query.term_query(self._schema, "conflict", conflict.casefold()))
        if not filters:
            return text_query
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, text_query), *((tantivy.Occur.Must, f) for f in filters)]
        )

    def search(
        self,
        q: str,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        conflict: str | None = None,
        limit: int = 10,
    ) -> list[IndexHit]:
        """The best `limit` articles for `q` (BM25), dates inclusive, conflict by value or code."""
        query = self.query(q, date_from=date_from, date_to=date_to, conflict=conflict)
        if query is None:
            return []
        searcher = self._searcher()
        result = searcher.search(query, limit=limit, count=False)
        return [
            IndexHit(article_id=str(searcher.doc(addr)["id"][0]), score=float(score))
            for score, addr in result.hits
        ]

    def scores(self, q: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]:
        """Every article matching `q`: its `article_key`s (sorted) and BM25 scores."""
        import numpy as np

        query = self.query(q)
        searcher = self._searcher()
        total = 0
        if query is not None:
            total = int(searcher.search(query, limit=1, count=True).count)  # type: ignore[attr-defined]
        if query is None or not total:
            return np.empty(0, np.uint64), np.empty(0, np.float64)
        hits = searcher.search(query, limit=total, count=False).hits
        keys = np.array(
            searcher.fast_field_values("key", [addr for _, addr in hits]), dtype=np.uint64
        )
        scores = np.array([score for score, _ in hits], dtype=np.float64)
        order = np.argsort(keys)
        return keys[order], scores[order]

    def _searcher(self) -> tantivy.Searcher:
        # A reader reloads to see the latest commit (a writer's other process may have made it).
        self._index.reload()
        return self._index.searcher()


def _state(path: Path) -> dict[str, object]:
    try:
        loaded = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _write_state(path: Path, watermark: datetime | None) -> None:
    state = {
        "schema": SCHEMA_VERSION,
        "watermark": watermark.isoformat() if watermark else None,
    }
    tmp = path / (STATE_FILE + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path / STATE_FILE)


def _reset(path: Path) -> None:
    """Empty the directory of an index of another schema (keeping our lock file)."""
    for child in path.iterdir():
        if child.name == LOCK_FILE:
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    _write_state(path, None)


def _acquire(lock_path: Path, *, wait_s: float) -> IO[str]:
    handle = lock_path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise SearchIndexLocked(
                    f"{lock_path.parent}: another process is updating the search index"
                    f" (waited {wait_s:.0f} s)"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
