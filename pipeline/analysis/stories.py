"""Stories: articles linked as copies or as reports of one event, assigned incrementally.

Two articles are linked when they are copies (same content hash, or word 3-gram MinHash above
`NEAR_DUP`, found with LSH over the signatures of `pipeline.dedup`) or when they report the same
event: close in time, sharing tagged entities and vocabulary (see `_same_event`). A story is a
connected component of those links, so the partition does not depend on the order articles
arrive in: a live run, a backfill or a one-shot rebuild over the same articles give the same
stories (and the same story ids: a story is named after its earliest article).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHashLSH  # type: ignore[import-untyped]

from pipeline.dedup import NEAR_DUP, NUM_PERM, SCHEME, SEED
from pipeline.queries import load_query

WINDOW = timedelta(days=3)
EVENT_HOURS = 24.0  # same-event links (not copies) need articles this close in time
ENTITY_KINDS = ("actor", "place", "conflict", "event")


@lru_cache(maxsize=4)
def entity_weights(taxonomy_dir: str | None = None) -> dict[str, float]:
    """How specific an entity is: a theatre or a country says less than a city, a person or a
    venue. Static (from the taxonomy), so stories never depend on what else was loaded."""
    from pipeline.tagging import default_dir

    folder = Path(taxonomy_dir) if taxonomy_dir else default_dir()
    weights: dict[str, float] = {}
    with (folder / "places.csv").open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            broad = row["feature"] in ("conflict_state", "power_state", "region_state")
            weights[f"place:{row['id']}"] = 0.5 if broad else 1.0
    return weights


def entity_weight(key: str, weights: Mapping[str, float]) -> float:
    kind = key.split(":", 1)[0]
    if kind == "conflict":
        return 0.25
    if kind == "event":
        return 0.5
    return weights.get(key, 1.0)


# --- assignment ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StoryUpdate:
    """What one assignment step did."""

    assigned: int
    stories_touched: int
    duplicates: int

    def as_dict(self) -> dict[str, int]:
        return {
            "assigned": self.assigned,
            "stories_touched": self.stories_touched,
            "duplicates": self.duplicates,
        }


@dataclass(slots=True)
class _Context:
    ids: list[str]
    seen: npt.NDArray[np.int64]  # epoch seconds
    shingles: npt.NDArray[np.uint64]  # (n, NUM_PERM)
    words: npt.NDArray[np.uint64]
    hashes: list[str]
    entities: list[list[str]]
    story: list[str | None]
    story_first: dict[str, tuple[int, str]]  # existing story -> (first seen, first article)
    hash_codes: npt.NDArray[np.int64]  # content_hash as a small integer, for vector compares
    entity_mass: npt.NDArray[np.float64]  # summed weights of each article's entities
    weights: Mapping[str, float]


def _same_event(
    weighted_j: npt.NDArray[np.float64],
    shared: npt.NDArray[np.float64],
    word_j: npt.NDArray[np.float64],
    hours: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Same event: published within a day, sharing specific tagged entities (`shared` is their
    summed weight, see `entity_weight`) and vocabulary. Thresholds measured on
    tests/fixtures/stories (wire copies, write-ups, distinct events sharing actors) and the
    generated corpus of bench/analysis.py."""
    close = (hours <= EVENT_HOURS) & (shared >= 2) & (weighted_j >= 0.5)
    # Another language shares no words: ask for more shared entities, closer in time.
    other_language = (word_j < 0.02) & (shared >= 3) & (weighted_j >= 0.6) & (hours <= 12)
    result: npt.NDArray[np.bool_] = close & ((word_j >= 0.15) | other_language)
    return result


def _load_context(con: duckdb.DuckDBPyConnection) -> tuple[_Context, list[int]] | None:
    bounds = con.execute(load_query("stories/new_article_span")).fetchone()
    if not bounds or bounds[0] is None:
        return None
    lo: datetime = bounds[0] - WINDOW
    hi: datetime = bounds[1] + WINDOW
    table = con.execute(load_query("stories/context"), [lo, hi]).to_arrow_table()
    n = table.num_rows
    ids = table.column("article_id").to_pylist()
    story = table.column("story_id").to_pylist()
    shingles = np.array(table.column("shingles").to_pylist(), dtype=np.uint64).reshape(n, -1)
    words = np.array(table.column("words").to_pylist(), dtype=np.uint64).reshape(n, -1)
    first = {
        sid: (int(at), sid[1:])
        for sid, at in con.execute(load_query("stories/context_firsts"), [lo, hi]).fetchall()
    }
    hashes = table.column("content_hash").to_pylist()
    codes: dict[str, int] = {}
    weights = entity_weights()
    entities = table.column("entities").to_pylist()
    context = _Context(
        ids=ids,
        seen=np.array(table.column("seen").to_pylist(), dtype=np.int64),
        shingles=shingles,
        words=words,
        hashes=hashes,
        entities=entities,
        story=story,
        story_first=first,
        hash_codes=np.array([codes.setdefault(h, len(codes)) for h in hashes], dtype=np.int64),
        entity_mass=np.array(
            [sum(entity_weight(k, weights) for k in e) for e in entities], dtype=np.float64
        ),
        weights=weights,
    )
    new = [i for i, s in enumerate(story) if s is None]
    return context, new


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True, slots=True)
class Link:
    other: int
    score: float
    duplicate: str | None  # exact | near | None


def links(ctx: _Context, i: int, lsh: MinHashLSH, index: _EntityIndex) -> list[Link]:
    """Every article of the context that article `i` is linked to (copies and same event)."""
    window = int(WINDOW.total_seconds())
    t = int(ctx.seen[i])
    parts, part_weights = [], []
    for key in ctx.entities[i]:
        members, times = index[key]
        lo = int(np.searchsorted(times, t - window, side="left"))
        hi = int(np.searchsorted(times, t + window, side="right"))
        parts.append(members[lo:hi])
        part_weights.append(np.full(hi - lo, entity_weight(key, ctx.weights)))
    if parts:
        by_entity, inverse = np.unique(np.concatenate(parts), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate(part_weights))
    else:
        by_entity, counts = np.empty(0, np.int64), np.empty(0, np.float64)
    near = np.fromiter(
        (int(k) for k in lsh.query(LeanMinHash(seed=SEED, hashvalues=ctx.shingles[i],
                                               scheme=SCHEME))),
        dtype=np.int64,
    )  # fmt: skip
    near = near[np.abs(ctx.seen[near] - t) <= window]
    cands = np.union1d(by_entity, near)
    cands = cands[cands != i]
    if cands.size == 0:
        return []
    shared = np.zeros(cands.size, dtype=np.float64)
    if by_entity.size:
        pos = np.minimum(np.searchsorted(by_entity, cands), by_entity.size - 1)
        shared = np.where(by_entity[pos] == cands, counts[pos], 0)
    exact = ctx.hash_codes[cands] == ctx.hash_codes[i]
    grams = (ctx.shingles[cands] == ctx.shingles[i]).mean(axis=1)
    words = (ctx.words[cands] == ctx.words[i]).mean(axis=1)
    union = ctx.entity_mass[cands] + ctx.entity_mass[i] - shared
    ent_j = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    hours = np.abs(ctx.seen[cands] - t) / 3600
    copy = ~exact & (grams >= NEAR_DUP)
    event = ~exact & ~copy & _same_event(ent_j, shared, words, hours)
    out = [Link(int(j), 1.0, "exact") for j in cands[exact]]
    out += [
        Link(int(j), round(float(g), 4), "near")
        for j, g in zip(cands[copy], grams[copy], strict=True)
    ]
    out += [
        Link(int(j), round(float((e + w) / 2), 4), None)
        for j, e, w in zip(cands[event], ent_j[event], words[event], strict=True)
    ]
    return out


_EntityIndex = dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]


def _index(ctx: _Context) -> tuple[MinHashLSH, _EntityIndex]:
    lsh = MinHashLSH(threshold=NEAR_DUP, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i in range(len(ctx.ids)):
            session.insert(
                str(i), LeanMinHash(seed=SEED, hashvalues=ctx.shingles[i], scheme=SCHEME)
            )
    members: dict[str, list[int]] = defaultdict(list)
    for i, ents in enumerate(ctx.entities):
        for key in ents:
            members[key].append(i)
    # The context is ordered by time, so each entity's members are too.
    index = {
        key: (np.array(m, dtype=np.int64), ctx.seen[np.array(m, dtype=np.int64)])
        for key, m in members.items()
    }
    return lsh, index


def assign_stories(con: duckdb.DuckDBPyConnection, *, now: datetime) -> StoryUpdate:
    """Assign articles that have a signature but no story yet; merge stories they bridge."""
    loaded = _load_context(con)
    if loaded is None:
        return StoryUpdate(assigned=0, stories_touched=0, duplicates=0)
    ctx, new = loaded
    lsh, index = _index(ctx)
    uf = _UnionFind(len(ctx.ids))
    # Members of one existing story start in one component.
    first_member: dict[str, int] = {}
    for i, sid in enumerate(ctx.story):
        if sid is not None:
            uf.union(first_member.setdefault(sid, i), i)
    best: dict[int, Link] = {}
    dup_of: dict[int, tuple[int, str]] = {}
    for i in new:
        for link in links(ctx, i, lsh, index):
            uf.union(i, link.other)
            if i not in best or link.score > best[i].score:
                best[i] = link
            earlier = (ctx.seen[link.other], ctx.ids[link.other]) < (ctx.seen[i], ctx.ids[i])
            if link.duplicate and earlier:
                current = dup_of.get(i)
                key = (ctx.seen[link.other], ctx.ids[link.other])
                if current is None or key < (ctx.seen[current[0]], ctx.ids[current[0]]):
                    dup_of[i] = (link.other, link.duplicate)
    # Name each touched component after its earliest article (old stories keep their first).
    roots: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ctx.ids)):
        roots[uf.find(i)].append(i)
    rename: dict[str, str] = {}
    new_story: dict[int, str] = {}
    touched: set[str] = set()
    new_set = set(new)
    for members in roots.values():
        if not new_set.intersection(members):
            continue
        firsts: list[tuple[int, str]] = []
        old = {ctx.story[m] for m in members if ctx.story[m] is not None}
        firsts += [ctx.story_first.get(s, (2**62, s[1:])) for s in old if s]
        firsts += [(int(ctx.seen[m]), ctx.ids[m]) for m in members if m in new_set]
        story_id = "s" + min(firsts)[1]
        for s in old:
            if s and s != story_id:
                rename[s] = story_id
        for m in members:
            if m in new_set:
                new_story[m] = story_id
        touched.add(story_id)
    rows = [
        {
            "article_id": ctx.ids[i],
            "story_id": sid,
            "duplicate_of": ctx.ids[dup_of[i][0]] if i in dup_of else None,
            "duplicate": dup_of[i][1] if i in dup_of else None,
            "similarity": best[i].score if i in best else None,
        }
        for i, sid in new_story.items()
    ]
    _write(con, rows, rename, touched, now=now)
    return StoryUpdate(assigned=len(rows), stories_touched=len(touched), duplicates=len(dup_of))


def _write(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[dict[str, str | float | None]],
    rename: dict[str, str],
    touched: set[str],
    *,
    now: datetime,
) -> None:
    import pyarrow as pa

    assigned = pa.Table.from_pylist(
        list(rows),
        schema=pa.schema(
            [
                ("article_id", pa.string()),
                ("story_id", pa.string()),
                ("duplicate_of", pa.string()),
                ("duplicate", pa.string()),
                ("similarity", pa.float64()),
            ]
        ),
    )
    renames = pa.table(
        {"old_id": list(rename), "new_id": [rename[k] for k in rename]},
        schema=pa.schema([("old_id", pa.string()), ("new_id", pa.string())]),
    )
    con.register("assigned_rows", assigned)
    con.register("touched_rows", pa.table({"story_id": pa.array(sorted(touched), pa.string())}))
    con.register("story_renames", renames)
    con.begin()
    try:
        con.execute(load_query("stories/rename"))
        con.execute(load_query("stories/drop_renamed"))
        con.execute(load_query("stories/assign"), {"now": now})
        con.execute(load_query("stories/touched"))
        con.execute(load_query("stories/recompute"), {"now": now})
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.unregister("assigned_rows")
        con.unregister("story_renames")
        con.unregister("touched_rows")


def pair_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """Precision and recall of same-cluster pairs: predicted cluster ids against true labels."""

    def pairs(labels: Mapping[str, str]) -> set[tuple[str, str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for item, label in labels.items():
            groups[label].append(item)
        return {(a, b) for members in groups.values() for a in members for b in members if a < b}

    got, want = pairs(predicted), pairs(truth)
    hits = len(got & want)
    return {
        "pairs_predicted": len(got),
        "pairs_true": len(want),
        "precision": hits / len(got) if got else 1.0,
        "recall": hits / len(want) if want else 1.0,
    }
