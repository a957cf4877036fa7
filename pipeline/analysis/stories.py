"""Duplicates and stories: MinHash signatures per article, assigned to stories incrementally.

Two articles are linked when they are copies (same content hash, or word 3-gram MinHash above
`NEAR_DUP`, found with LSH) or when they report the same event: close in time, sharing tagged
entities and vocabulary (see `_same_event`). A story is a connected component of those links, so
the partition does not depend on the order articles arrive in: a live run, a backfill or a
one-shot rebuild over the same articles give the same stories (and the same story ids: a story is
named after its earliest article).
"""

from __future__ import annotations

import csv
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash, MinHashLSH  # type: ignore[import-untyped]

NUM_PERM = 64
SEED = 7
SCHEME = "affine32"
WINDOW = timedelta(days=3)
EVENT_HOURS = 24.0  # same-event links (not copies) need articles this close in time
NEAR_DUP = 0.5  # estimated Jaccard of word 3-grams above which an article is a copy
ENTITY_KINDS = ("actor", "place", "conflict", "event")

_WORD = re.compile(r"\w+", re.UNICODE)
# Frequent words that say nothing about the event (English, where most demo and wire text is).
_STOP = frozenset(
    """also after again against among because been before being between both could does doing
    during each from further have having here into itself just more most other over same should
    some such than that their theirs them then there these they this those through under until
    very were what when where which while will with would your said says told according
    about year years week weeks today yesterday monday tuesday wednesday thursday friday
    saturday sunday people percent""".split()  # noqa: SIM905
)

Signature = npt.NDArray[np.uint64]


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


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (any script)."""
    return _WORD.findall(text.casefold())


def _minhash(items: Iterable[str]) -> Signature:
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, scheme=SCHEME)
    batch = [s.encode("utf-8") for s in set(items)]
    if batch:
        mh.update_batch(batch)
    values: Signature = np.asarray(mh.hashvalues, dtype=np.uint64)
    return values


def signatures(title: str | None, text: str) -> tuple[Signature, Signature]:
    """(3-gram MinHash, content-word MinHash) of an article's title and text."""
    words = tokens(f"{title or ''}\n{text}")
    grams = [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))]
    content = [w for w in words if len(w) > 3 and not w.isdigit() and w not in _STOP]
    return _minhash(grams), _minhash(content)


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the sets behind two MinHash signatures."""
    return float(np.mean(a == b))


# --- signatures table -------------------------------------------------------------------------

_PENDING_SIGNATURES = """
SELECT a.article_id, a.title, a.text, a.content_hash, coalesce(a.published_at, a.first_seen_at),
    (SELECT list(DISTINCT t.kind || ':' || coalesce(t.code, t.value) ORDER BY 1)
     FROM article_tags AS t
     WHERE t.article_id = a.article_id AND t.kind IN ('actor', 'place', 'conflict', 'event'))
FROM articles AS a
LEFT JOIN article_signatures AS s USING (article_id)
WHERE s.article_id IS NULL OR s.content_hash <> a.content_hash
"""


def update_signatures(con: duckdb.DuckDBPyConnection, *, batch: int = 2000) -> int:
    """Compute signatures for articles without one (or whose text changed); returns how many."""
    import pyarrow as pa

    cursor = con.execute(_PENDING_SIGNATURES)
    done = 0
    while rows := cursor.fetchmany(batch):
        ids, hashes, shingles, words, entities, seen = [], [], [], [], [], []
        for article_id, title, text, content_hash, seen_at, ents in rows:
            grams, content = signatures(title, text)
            ids.append(article_id)
            hashes.append(content_hash)
            shingles.append(grams)
            words.append(content)
            entities.append(ents or [])
            seen.append(seen_at)
        table = pa.table(
            {
                "article_id": ids,
                "content_hash": hashes,
                "shingles": pa.array([s.tolist() for s in shingles], pa.list_(pa.uint64())),
                "words": pa.array([w.tolist() for w in words], pa.list_(pa.uint64())),
                "entities": pa.array(entities, pa.list_(pa.string())),
                "seen_at": pa.array(seen, pa.timestamp("us", tz="UTC")),
            }
        )
        # A separate cursor: the pending query above is still being read.
        writer = con.cursor()
        writer.register("new_signatures", table)
        writer.execute(
            "INSERT OR REPLACE INTO article_signatures BY NAME SELECT * FROM new_signatures"
        )
        writer.unregister("new_signatures")
        done += len(ids)
    return done


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
    bounds = con.execute(
        "SELECT min(s.seen_at), max(s.seen_at) FROM article_signatures AS s"
        " ANTI JOIN story_articles USING (article_id)"
    ).fetchone()
    if not bounds or bounds[0] is None:
        return None
    lo: datetime = bounds[0] - WINDOW
    hi: datetime = bounds[1] + WINDOW
    table = con.execute(
        "SELECT s.article_id, epoch(s.seen_at)::BIGINT AS seen, s.shingles, s.words,"
        " s.content_hash, s.entities, sa.story_id"
        " FROM article_signatures AS s LEFT JOIN story_articles AS sa USING (article_id)"
        " WHERE s.seen_at BETWEEN ? AND ? ORDER BY s.seen_at, s.article_id",
        [lo, hi],
    ).to_arrow_table()
    n = table.num_rows
    ids = table.column("article_id").to_pylist()
    story = table.column("story_id").to_pylist()
    shingles = np.array(table.column("shingles").to_pylist(), dtype=np.uint64).reshape(n, -1)
    words = np.array(table.column("words").to_pylist(), dtype=np.uint64).reshape(n, -1)
    first = {
        sid: (int(at), sid[1:])
        for sid, at in con.execute(
            "SELECT story_id, epoch(first_seen)::BIGINT FROM stories"
            " WHERE story_id IN (SELECT DISTINCT story_id FROM story_articles"
            "  WHERE article_id IN (SELECT article_id FROM article_signatures"
            "   WHERE seen_at BETWEEN ? AND ?))",
            [lo, hi],
        ).fetchall()
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


_RECOMPUTE_STORIES = """
INSERT OR REPLACE INTO stories BY NAME
WITH members AS (
    SELECT sa.story_id, a.article_id, a.outlet, a.title, a.text_source,
        coalesce(a.published_at, a.first_seen_at) AS seen_at
    FROM story_articles AS sa JOIN articles AS a USING (article_id)
    WHERE sa.story_id IN (SELECT story_id FROM touched_stories)
), conflicts AS (
    SELECT m.story_id, t.value, count(*) AS n
    FROM members AS m JOIN article_tags AS t ON t.article_id = m.article_id AND t.kind = 'conflict'
    GROUP BY ALL
)
SELECT m.story_id, min(m.seen_at) AS first_seen, max(m.seen_at) AS last_seen,
    arg_min(m.title, (m.text_source <> 'page', m.seen_at, m.article_id)) AS title,
    count(*) AS size,
    coalesce(list(DISTINCT m.outlet ORDER BY m.outlet) FILTER (WHERE m.outlet IS NOT NULL),
        []::VARCHAR[]) AS outlets,
    (SELECT arg_max(c.value, (c.n, c.value)) FROM conflicts AS c WHERE c.story_id = m.story_id)
        AS main_conflict,
    $now::TIMESTAMPTZ AS updated_at
FROM members AS m
GROUP BY m.story_id
"""


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
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "UPDATE story_articles SET story_id = r.new_id FROM story_renames AS r"
            " WHERE story_articles.story_id = r.old_id"
        )
        con.execute("DELETE FROM stories WHERE story_id IN (SELECT old_id FROM story_renames)")
        con.execute(
            "INSERT OR REPLACE INTO story_articles BY NAME"
            " SELECT *, $now::TIMESTAMPTZ AS assigned_at FROM assigned_rows",
            {"now": now},
        )
        con.execute("CREATE OR REPLACE TEMP TABLE touched_stories AS SELECT * FROM touched_rows")
        con.execute(_RECOMPUTE_STORIES, {"now": now})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
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
