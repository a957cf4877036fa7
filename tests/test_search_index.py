"""The incremental search index: real Tantivy files and a real DuckDB warehouse in tmp_path;
crashes and concurrent writers are real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipeline.search import (
    IndexDoc,
    SearchError,
    SearchIndex,
    SearchIndexLocked,
    catch_up,
    index_path,
    is_current,
    pending_changes,
    read_changes,
    rebuild,
    register_sql_functions,
    search,
    update_index,
    watermark_of,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)

ARTICLES = [
    # id, language, title, text, published day offset, conflicts (value, code)
    ("a1", "en", "Ceasefire talks in Istanbul", "Negotiators met in Istanbul for ceasefire talks.",
     0, [("Russia-Ukraine", "ru-ua")]),
    ("a2", "en", "Harvest festival opens", "Farmers celebrated the harvest in the valley.", 1, []),
    ("a3", "ru", "Переговоры в Стамбуле", "Делегации провели переговоры о прекращении огня.",
     0, [("Russia-Ukraine", "ru-ua")]),
    ("a4", "ar", "محادثات السلام", "بدأت المُحادَثاتُ بين الوفدين في القاهرة حول وقف إطلاق النار.",
     2, [("Sudan", "sudan")]),
    ("a5", "fr", "Réunion à l'Élysée", "Les négociateurs se sont réunis à l'Élysée mardi.", 3, []),
    ("a6", "tr", "İstanbul'da görüşme", "Heyetler İstanbul'da ateşkes görüşmelerine başladı.",
     4, [("Russia-Ukraine", "ru-ua")]),
    ("a7", "zh", "停火谈判", "双方代表在伊斯坦布尔举行停火谈判。", 5, []),
    ("a8", "uk", "Київ", "У Києві тривають переговори щодо обміну полоненими.", 6, []),
    ("a9", "de", "Waffenruhe", "Die Verhandlungen über eine Waffenruhe wurden fortgesetzt.", 7, []),
]  # fmt: skip


def make_warehouse(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        for f in sorted((ROOT / "sql" / "migrations").glob("*.sql")):
            con.execute(f.read_text(encoding="utf-8"))


def store(db: Path, rows: list[tuple[object, ...]], *, now: datetime) -> None:
    """Merge rows into `articles` and replace their tags, as a load does."""
    with duckdb.connect(str(db)) as con:
        for aid, lang, title, text, day, conflicts in rows:
            assert isinstance(day, int) and isinstance(conflicts, list)
            con.execute(
                "INSERT INTO articles (article_id, url, canonical_url, outlet, title, published_at,"
                " fetched_at, language, text, word_count, content_hash, text_source, run_id,"
                " first_seen_at, updated_at) VALUES ($id, $url, $url, 'Outlet', $title, $at, $at,"
                " $lang, $text, 5, 'h', 'page', 'r', $now, $now) ON CONFLICT (article_id) DO UPDATE"
                " SET title = excluded.title, text = excluded.text,"
                " updated_at = excluded.updated_at",
                {"id": aid, "url": f"https://x.example/{aid}", "title": title, "text": text,
                 "lang": lang, "at": T0 + timedelta(days=day), "now": now},
            )  # fmt: skip
            con.execute("DELETE FROM article_tags WHERE article_id = ?", [aid])
            for value, code in conflicts:
                con.execute(
                    "INSERT INTO article_tags VALUES (?, 'conflict', ?, ?, 1.0, NULL)",
                    [aid, value, code],
                )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "w.duckdb"
    make_warehouse(path)
    store(path, list(ARTICLES), now=T0 + timedelta(days=30))
    with duckdb.connect(str(path)) as con, SearchIndex.open(index_path(path), writable=True) as ix:
        catch_up(con, ix)
    yield path


def found(db: Path, q: str, **kwargs: object) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con, SearchIndex.open(index_path(db)) as ix:
        return [h.article_id for h in search(con, ix, q, **kwargs)]  # type: ignore[arg-type]


def doc(aid: str, text: str, *, title: str = "t") -> IndexDoc:
    return IndexDoc(article_id=aid, title=title, text=text, language="en", published_at=T0)


def test_upsert_replaces_an_article_and_delete_removes_it(tmp_path: Path) -> None:
    with SearchIndex.open(tmp_path / "ix", writable=True) as ix:
        ix.upsert([doc("x", "Shelling near the river"), doc("y", "Quiet day at the market")])
        ix.commit(T0)
        assert [h.article_id for h in ix.search("shelling")] == ["x"]
        ix.upsert([doc("x", "The market reopened")])
        ix.commit(T0)
        assert ix.search("shelling") == []
        assert {h.article_id for h in ix.search("market")} == {"x", "y"}
        assert ix.num_docs() == 2
        ix.delete(["y"])
        ix.commit(T0)
        assert [h.article_id for h in ix.search("market")] == ["x"]


def test_uncommitted_changes_are_invisible_and_dropped_on_close(tmp_path: Path) -> None:
    with SearchIndex.open(tmp_path / "ix", writable=True) as ix:
        ix.upsert([doc("x", "committed words")])
        ix.commit(T0)
        ix.upsert([doc("z", "pending words")])
        with SearchIndex.open(tmp_path / "ix") as reader:
            assert reader.search("pending") == []
    with SearchIndex.open(tmp_path / "ix") as reader:
        assert reader.search("pending") == [] and reader.watermark() == T0


def test_hits_carry_the_warehouse_row_a_snippet_and_best_score_first(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con, SearchIndex.open(index_path(db)) as ix:
        hits = search(con, ix, "ceasefire istanbul talks", limit=5)
        with pytest.raises(SearchError):
            search(con, ix, "  ")
        assert search(con, ix, "!!! ...") == []
    assert hits[0].article_id == "a1"
    assert hits[0].url == "https://x.example/a1" and hits[0].outlet == "Outlet"
    assert hits[0].title == "Ceasefire talks in Istanbul"
    assert hits[0].published_at == T0 and "ceasefire" in hits[0].snippet
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_filters_by_inclusive_days_and_by_conflict_name_or_code(db: Path) -> None:
    day0, day4 = T0.date(), T0.date() + timedelta(days=4)
    assert set(found(db, "istanbul", date_from=day4, date_to=day4)) == {"a6"}
    assert set(found(db, "istanbul", date_from=day0, date_to=day0)) == {"a1"}
    assert set(found(db, "istanbul", date_to=day0 - timedelta(days=1))) == set()
    assert set(found(db, "istanbul", conflict="russia-ukraine")) == {"a1", "a6"}
    assert set(found(db, "istanbul", conflict="RU-UA")) == {"a1", "a6"}
    assert found(db, "istanbul", conflict="Sudan") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("переговор", "a3"),  # Russian stem: переговоры
        ("прекращение", "a3"),  # прекращении
        ("المحادثات", "a4"),  # harakat in the text, none in the query
        ("elysee", "a5"),  # accents folded
        ("négociateur", "a5"),  # French plural stemmed
        ("istanbul görüşme", "a6"),  # İ lowercases to i; Turkish suffixes stemmed
        ("ateşkes", "a6"),
        ("停火", "a7"),  # CJK: one token per character
        ("Києві", "a8"),  # Ukrainian: kept, unstemmed
        ("Verhandlung", "a9"),  # German stem
    ],
)
def test_every_script_is_searchable_with_its_language_rules(
    db: Path, query: str, expected: str
) -> None:
    assert found(db, query)[:1] == [expected]


def test_rebuild_replaces_the_whole_index_and_records_the_watermark(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        with SearchIndex.open(index_path(db), writable=True) as ix:
            ix.upsert([doc("stray", "orphaned words")])
            ix.commit(None)
            update = rebuild(con, ix)
            assert update.indexed == len(ARTICLES) and ix.num_docs() == len(ARTICLES)
            assert ix.search("orphaned") == []
        with SearchIndex.open(index_path(db)) as ix:
            assert ix.watermark() == T0 + timedelta(days=30) and is_current(con, ix)


def test_a_load_after_the_index_was_built_is_caught_up_and_updates_replace(db: Path) -> None:
    later = T0 + timedelta(days=31)
    store(db, [("a2", "en", "Festival cancelled", "Storms cancelled the festival.", 1, []),
               ("b1", "en", "Prisoner exchange", "A prisoner exchange took place.", 2, [])],
          now=later)  # fmt: skip
    with duckdb.connect(str(db)) as con:
        with SearchIndex.open(index_path(db)) as ix:
            assert not is_current(con, ix)
        with SearchIndex.open(index_path(db), writable=True) as ix:
            update = catch_up(con, ix)
            assert update.indexed == 2 and update.watermark == later
            assert catch_up(con, ix).indexed == 0  # nothing newer than the watermark
            assert is_current(con, ix)
    assert found(db, "harvest") == []
    assert found(db, "storms") == ["a2"] and found(db, "prisoner") == ["b1"]


CHILD_UPSERT_THEN_WAIT = """
import sys, time, duckdb
from pathlib import Path
from pipeline.search import SearchIndex, index_path, read_changes
db = Path(sys.argv[1])
with duckdb.connect(str(db), read_only=True) as con:
    with SearchIndex.open(index_path(db)) as ix:
        changes = read_changes(con, since=ix.watermark())
ix = SearchIndex.open(index_path(db), writable=True)
ix.upsert(changes.docs)
print("upserted", len(changes.docs), flush=True)
time.sleep(60)
ix.commit(changes.watermark)
"""


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_a_writer_killed_before_its_commit_is_caught_up_by_the_next_load(db: Path) -> None:
    store(db, [("k1", "en", "Quorvath accord", "Delegates signed the quorvath accord.", 3, [])],
          now=T0 + timedelta(days=40))  # fmt: skip
    child = _child(CHILD_UPSERT_THEN_WAIT, str(db))
    assert child.stdout is not None
    # Skip anything else on stdout (DuckDB draws a progress bar when a query is slow).
    assert any(line.startswith("upserted 1") for line in child.stdout)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    with SearchIndex.open(index_path(db)) as ix:
        assert ix.search("quorvath") == [] and ix.watermark() == T0 + timedelta(days=30)
    # The next load: its own merge, then the catch-up from the old watermark.
    store(db, [("k2", "en", "Zelvanic summit", "The zelvanic summit ended.", 4, [])],
          now=T0 + timedelta(days=41))  # fmt: skip
    with duckdb.connect(str(db)) as con:
        changes = read_changes(con, since=T0 + timedelta(days=30))
        with SearchIndex.open(index_path(db), writable=True, lock_wait_s=5) as ix:
            assert catch_up(con, ix).indexed == 2
    assert found(db, "quorvath") == ["k1"] and found(db, "zelvanic") == ["k2"]
    assert {d.article_id for d in changes.docs} == {"k1", "k2"}


CHILD_WRITE_BATCHES = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from pipeline.search import IndexDoc, SearchIndex
with SearchIndex.open(Path(sys.argv[1]), writable=True) as ix:
    print("locked", flush=True)
    for batch in range(40):
        ix.upsert(IndexDoc(article_id=f"w{batch}-{i}", title=None, language="en",
                           text=f"steady stream of wire copy number {i}", published_at=None)
                  for i in range(50))
        ix.commit(datetime(2025, 1, 1, tzinfo=UTC))
print("done", flush=True)
"""


def test_readers_see_whole_commits_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    with SearchIndex.open(path, writable=True) as ix:
        ix.commit(None)
    child = _child(CHILD_WRITE_BATCHES, str(path))
    assert child.stdout is not None and "locked" in (child.stdout.readline() or "")
    with pytest.raises(SearchIndexLocked):  # a second writer waits, then gives up
        SearchIndex.open(path, writable=True, lock_wait_s=0.2)
    seen = []
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        with SearchIndex.open(path) as reader:
            n = len(reader.search("stream", limit=5000))
        assert n % 50 == 0  # never half a batch
        seen.append(n)
    assert child.wait(timeout=60) == 0
    assert seen == sorted(seen)
    with SearchIndex.open(path) as reader:
        assert reader.num_docs() == 2000


def test_search_score_ranks_rows_in_sql_like_the_index(db: Path) -> None:
    # An id that is not hex takes the md5 key path: still found.
    store(db, [("not-hex", "en", "Harvest fair", "The harvest fair opened.", 1, [])],
          now=T0 + timedelta(days=60))  # fmt: skip
    with duckdb.connect(str(db)) as con, SearchIndex.open(index_path(db), writable=True) as ix:
        catch_up(con, ix)
    with duckdb.connect(str(db), read_only=True) as con, SearchIndex.open(index_path(db)) as ix:
        register_sql_functions(con, ix)
        rows = con.execute(
            "SELECT article_id, search_score(article_id, 'istanbul ceasefire') AS s"
            " FROM articles WHERE s IS NOT NULL ORDER BY s DESC"
        ).fetchall()
        expected = [(h.article_id, h.score) for h in ix.search("istanbul ceasefire")]
        nulls = con.execute(
            "SELECT count(*) FROM articles WHERE search_score(article_id, NULL) IS NULL"
        ).fetchone()
        per_row = con.execute(
            "SELECT q, count(search_score(article_id, q)) FROM articles,"
            " (VALUES ('harvest'), ('waffenruhe')) AS v(q) GROUP BY q ORDER BY q"
        ).fetchall()
    assert [r[0] for r in rows] == [e[0] for e in expected]
    assert [r[1] for r in rows] == pytest.approx([e[1] for e in expected])
    assert nulls == (len(ARTICLES) + 1,)
    assert per_row == [("harvest", 2), ("waffenruhe", 1)]


def test_a_reader_without_an_index_is_told_to_rebuild(tmp_path: Path) -> None:
    from pipeline.search import SearchIndexMissing

    with pytest.raises(SearchIndexMissing, match="rebuild"):
        SearchIndex.open(tmp_path / "nothing.search")


def test_dates_filter_on_utc_days(tmp_path: Path) -> None:
    late = datetime(2025, 5, 16, 23, 30, tzinfo=UTC)
    with SearchIndex.open(tmp_path / "ix", writable=True) as ix:
        ix.upsert([IndexDoc(article_id="n", title=None, text="midnight news", language=None,
                            published_at=late)])  # fmt: skip
        ix.commit(None)
        assert ix.search("midnight", date_from=date(2025, 5, 16), date_to=date(2025, 5, 16))
        assert not ix.search("midnight", date_from=date(2025, 5, 17))


def test_a_load_reads_its_changes_under_duckdb_and_indexes_them_after(db: Path) -> None:
    ix_dir = index_path(db)
    store(db, [("p1", "en", "Grain corridor", "Ships used the grain corridor.", 2, [])],
          now=T0 + timedelta(days=50))  # fmt: skip
    with duckdb.connect(str(db)) as con:
        changes = pending_changes(con, ix_dir)
        assert pending_changes(con, ix_dir, max_docs=0) is None  # too many: rebuild instead
        assert pending_changes(con, ix_dir.with_name("none.search")) is None  # no index yet
    assert changes is not None and [d.article_id for d in changes.docs] == ["p1"]
    store(db, [("p2", "en", "Grain deal", "The grain deal was extended.", 3, [])],
          now=T0 + timedelta(days=51))  # fmt: skip
    with duckdb.connect(str(db)) as con:
        later = pending_changes(con, ix_dir)
    assert later is not None and {d.article_id for d in later.docs} == {"p1", "p2"}
    assert update_index(ix_dir, later).indexed == 2
    # The earlier load finishing last changes nothing: the later one's changes held its own.
    assert update_index(ix_dir, changes).indexed == 0
    assert watermark_of(ix_dir) == T0 + timedelta(days=51)
    assert set(found(db, "grain")) == {"p1", "p2"}
