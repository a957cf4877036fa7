"""Duplicate detection: exact copies by content hash, near copies by MinHash signatures.

`content_hash` keys exact duplicates (case, Unicode form and spacing normalised). Every article
also gets two MinHash signatures, kept in `article_signatures`: one over word 3-grams (an
estimated Jaccard above `NEAR_DUP` means a copy) and one over content words (shared vocabulary,
which `analysis/stories.py` uses to link reports of the same event).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from pipeline.queries import load_query

if TYPE_CHECKING:
    import duckdb

NUM_PERM = 64
SEED = 7
SCHEME = "affine32"
NEAR_DUP = 0.5  # estimated Jaccard of word 3-grams above which an article is a copy

_WS = re.compile(r"\s+")
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


def content_hash(text: str) -> str:
    """Hash of the text with case, Unicode form and spacing normalised: exact-duplicate key."""
    norm = _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (any script)."""
    return _WORD.findall(text.casefold())


def _minhash(items: Iterable[str]) -> Signature:
    # Imported here: datasketch pulls in scipy (seconds), and extraction workers only need
    # `content_hash` from this module.
    from datasketch import MinHash  # type: ignore[import-untyped]

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


def update_signatures(con: duckdb.DuckDBPyConnection, *, batch: int = 2000) -> int:
    """Compute signatures for articles without one (or whose text changed); returns how many."""
    import pyarrow as pa

    cursor = con.execute(load_query("dedup/pending_signatures"))
    done = 0
    while rows := cursor.fetchmany(batch):
        ids, hashes, shingles, words, entities, seen = [], [], [], [], [], []
        for article_id, title, text, text_hash, seen_at, ents in rows:
            grams, content = signatures(title, text)
            ids.append(article_id)
            hashes.append(text_hash)
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
        writer.execute(load_query("dedup/save_signatures"))
        writer.unregister("new_signatures")
        done += len(ids)
    return done
