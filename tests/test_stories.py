"""Duplicates and stories on a labelled fixture corpus, loaded through the real merge path."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from fixtures.stories import corpus

from pipeline.analysis import after_load
from pipeline.analysis.stories import pair_scores
from pipeline.run import merge_and_update
from pipeline.urls import article_id
from pipeline.warehouse import connect, merge_run, pending_runs

# Floors measured on tests/fixtures/stories (see docs/analysis.md); they may only go up.
STORY_PRECISION, STORY_RECALL = 0.95, 0.9
DUP_PRECISION, DUP_RECALL = 1.0, 1.0


def load(tmp: Path, batches: list[list[dict[str, Any]]]) -> Path:
    db = tmp / "w.duckdb"
    for n, batch in enumerate(batches):
        corpus.stage(batch, tmp / "staging", f"run{n}")
        merge_and_update(db, tmp / "staging")
    return db


def stories_of(db: Path) -> dict[str, str]:
    with connect(db, read_only=True) as con:
        return dict(con.execute("SELECT article_id, story_id FROM story_articles").fetchall())


def test_wire_copies_and_write_ups_cluster_by_event(tmp_path: Path) -> None:
    rows = corpus.build()
    db = load(tmp_path, [rows])
    truth = {article_id(corpus.url_of(r)): r["story"] for r in rows}
    scores = pair_scores(stories_of(db), truth)
    assert scores["precision"] >= STORY_PRECISION, scores
    assert scores["recall"] >= STORY_RECALL, scores
    with connect(db, read_only=True) as con:
        copies = con.execute(
            "SELECT article_id, duplicate_of, duplicate FROM story_articles"
            " WHERE duplicate IS NOT NULL"
        ).fetchall()
        stories = con.execute("SELECT count(*), sum(size) FROM stories").fetchone()
    parent = {a: d for a, d, _ in copies}

    def root(a: str) -> str:
        while a in parent:
            a = parent[a]
        return a

    by_id = {article_id(corpus.url_of(r)): r for r in rows}
    # Wire copies (and the syndicated exact copy) are the same text; write-ups are not.
    dup_truth = {
        a: r["story"] + ("" if r["id"].endswith("syndicated") or r["id"][-2] == "-" else r["id"])
        for a, r in by_id.items()
    }
    dups = pair_scores({a: root(a) for a in by_id}, dup_truth)
    assert dups["precision"] >= DUP_PRECISION and dups["recall"] >= DUP_RECALL, dups
    syndicated = article_id(corpus.url_of(next(r for r in rows if r["id"].endswith("cated"))))
    assert tuple(d for a, _, d in copies if a == syndicated) == ("exact",)
    assert stories == (len(set(stories_of(db).values())), len(rows))


def test_incremental_loads_in_any_order_give_the_same_stories(tmp_path: Path) -> None:
    rows = corpus.build()
    one_shot = stories_of(load(tmp_path / "once", [rows]))
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)  # a backfill brings older articles after newer ones
    batches = [shuffled[i::4] for i in range(4)]
    assert stories_of(load(tmp_path / "inc", batches)) == one_shot


def test_rerun_of_the_analysis_adds_nothing(tmp_path: Path) -> None:
    db = load(tmp_path, [corpus.build()])
    with connect(db, read_only=True) as con:
        before = con.execute("SELECT * FROM stories ORDER BY story_id").fetchall()
    with connect(db) as con:
        again = after_load(con, now=corpus.datetime.now(corpus.UTC))
        after = con.execute("SELECT * FROM stories ORDER BY story_id").fetchall()
    assert (again.signatures, again.assigned) == (0, 0)
    assert after == before


def test_a_load_interrupted_before_the_analysis_is_caught_up_by_the_next(tmp_path: Path) -> None:
    rows = corpus.build()
    db = tmp_path / "w.duckdb"
    load(tmp_path, [rows[:10]])
    corpus.stage(rows[10:], tmp_path / "staging", "crashed")
    (staged,) = pending_runs(tmp_path / "staging")
    with connect(db) as con:  # the merge commits, then the process dies before after_load
        merge_run(con, staged, now=corpus.datetime.now(corpus.UTC))
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM story_articles").fetchone() == (10,)
    corpus.stage(rows[:1], tmp_path / "staging", "next")  # the next pass, whatever it brings
    merge_and_update(db, tmp_path / "staging")
    assert len(stories_of(db)) == len(rows)
    assert stories_of(db) == stories_of(load(tmp_path / "once", [rows]))


def test_copies_without_any_tagged_entity_are_still_found(tmp_path: Path) -> None:
    text = (
        "The bakery on Mill Lane reopened on Tuesday after a two-month refit, its owner said. "
        "Queues formed before seven in the morning and the sourdough sold out by nine. "
        "The owner thanked neighbours for their patience during the building work."
    )
    at = corpus.datetime(2025, 5, 14, 9, tzinfo=corpus.UTC)
    rows = [
        {"id": "bakery-0", "outlet": "Meridian Post", "title": "Bakery reopens", "text": text,
         "published_at": at, "story": "bakery"},
        {"id": "bakery-1", "outlet": "Harbor Chronicle", "title": "Mill Lane bakery is back",
         "text": "(Wire) " + text.replace("Tuesday", "Tuesday morning"),
         "published_at": at + corpus.timedelta(hours=1), "story": "bakery"},
    ]  # fmt: skip
    db = load(tmp_path, [rows])
    with connect(db, read_only=True) as con:
        got = con.execute(
            "SELECT count(DISTINCT story_id), list(duplicate) FILTER (duplicate IS NOT NULL)"
            " FROM story_articles"
        ).fetchone()
        entities = con.execute("SELECT flatten(list(entities)) FROM article_signatures").fetchone()
    assert got == (1, ["near"])
    assert entities == ([],)


def test_articles_without_an_outlet_form_a_story_with_no_outlets(tmp_path: Path) -> None:
    # Feeds listed without an outlet name store outlet NULL; their story must still be written.
    at = corpus.datetime(2025, 5, 14, 9, tzinfo=corpus.UTC)
    text = "Shelling hit the outskirts of Kharkiv overnight, the regional governor said. " * 3
    rows = [
        {"id": f"nameless-{i}", "outlet": None, "title": "Kharkiv shelled", "text": text,
         "published_at": at + corpus.timedelta(hours=i), "story": "kharkiv"}
        for i in range(2)
    ]  # fmt: skip
    db = load(tmp_path, [rows])
    with connect(db, read_only=True) as con:
        got = con.execute("SELECT size, outlets FROM stories").fetchall()
    assert got == [(2, [])]
