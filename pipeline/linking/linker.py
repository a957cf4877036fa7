"""One story linker: per-article features prepared once, then cheap pairwise similarity.

Signals (see docs/linking.md for what each adds, measured on real article pairs):
- `embedding`: cosine of USE multilingual embeddings of the title and lead (first 600 chars);
  this is what links an article to its retelling in another language;
- `pieces`: TF-IDF cosine over the encoder's SentencePiece pieces of the whole text, weighted by
  the pieces' unigram log-probabilities (an IDF that needs no corpus and no language);
- `names`, `name_grams`: overlap of capitalised non-initial words (likely names), exact and by
  character trigrams (spelling varies across languages);
- `numbers`: Jaccard of numbers with two or more digits;
- `cross`: the languages differ (when both are known), alone and with `embedding`.
A fitted line (model.py) turns them into a similarity in [0, 1]. Published times, when both are
known, scale it down beyond two days apart (not fitted: the training pairs carry no dates).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.linking import text as tx
from pipeline.linking.embed import Encoder, Vectors, encoder, piece_weights, tokenizer
from pipeline.linking.model import Model, default_model

SIGNALS = ("embedding", "pieces", "names", "name_grams", "numbers", "cross")
# The embedding and piece cosines relate to the annotators' scores along a bent line (flat
# below, steep in the middle): hinge terms let the least-squares fit follow it (+0.02 Pearson
# in cross-validation on the training portion).
EMBEDDING_KNOTS = (0.4, 0.6, 0.8)
PIECES_KNOTS = (0.1, 0.2, 0.4)
FEATURES = (
    *SIGNALS,
    "cross_embedding",
    *(f"embedding_over_{k:g}" for k in EMBEDDING_KNOTS),
    *(f"pieces_over_{k:g}" for k in PIECES_KNOTS),
)
SAME_DAYS = 2.0  # published this close: time says nothing against the link
FADE_DAYS = 12.0  # beyond SAME_DAYS the similarity falls linearly to FLOOR over this many days
FLOOR = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkDoc:
    """What the linker reads of an article."""

    text: str
    title: str | None = None
    language: str | None = None
    published: datetime | None = None
    entities: frozenset[str] = frozenset()  # tagged entity keys ("place:istanbul"), optional


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Prepared:
    """An article's linking features, computed once."""

    vector: Vectors  # (512,) unit vector of title and lead, zeros when there is no text
    piece_ids: npt.NDArray[np.int32]  # sorted unique piece ids of the whole text
    piece_values: npt.NDArray[np.float32]  # their TF-IDF weights, unit length
    names: frozenset[str]
    name_grams: frozenset[str]
    numbers: frozenset[str]
    language: str | None
    published: datetime | None


def _pieces(ids: list[int]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    counts = Counter(i for i in ids if i > 3)
    if not counts:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    keys = np.array(sorted(counts), dtype=np.int32)
    tf = 1.0 + np.log(np.array([counts[int(k)] for k in keys], dtype=np.float32))
    values = tf * piece_weights()[keys]
    norm = float(np.linalg.norm(values))
    return keys, (values / norm if norm else values).astype(np.float32)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def time_factor(a: datetime | None, b: datetime | None) -> float:
    """1 within SAME_DAYS (or when either time is unknown), then down linearly to FLOOR."""
    if a is None or b is None:
        return 1.0
    days = abs((a - b).total_seconds()) / 86400
    if days <= SAME_DAYS:
        return 1.0
    return max(FLOOR, 1.0 - (1.0 - FLOOR) * (days - SAME_DAYS) / FADE_DAYS)


def to_record(p: Prepared) -> dict[str, Any]:
    """A prepared article as plain columns (for a DuckDB/Arrow table: FLOAT[512], lists)."""
    return {
        "vector": p.vector.tolist(),
        "piece_ids": p.piece_ids.tolist(),
        "piece_values": p.piece_values.tolist(),
        "names": sorted(p.names),
        "numbers": sorted(p.numbers),
        "language": p.language,
        "published": p.published,
    }


def from_record(row: Mapping[str, Any]) -> Prepared:
    """The inverse of `to_record` (name trigrams are recomputed: cheap, and not stored)."""
    names = frozenset(row["names"] or ())
    return Prepared(
        vector=np.asarray(row["vector"], dtype=np.float32),
        piece_ids=np.asarray(row["piece_ids"] or (), dtype=np.int32),
        piece_values=np.asarray(row["piece_values"] or (), dtype=np.float32),
        names=names,
        name_grams=tx.trigrams(frozenset(n for n in names if ":" not in n)),
        numbers=frozenset(row["numbers"] or ()),
        language=row["language"],
        published=row["published"],
    )


def top_candidates(vector: Vectors, matrix: Vectors, *, k: int = 20) -> npt.NDArray[np.int64]:
    """Rows of `matrix` (unit embeddings of the articles in the time window) closest to
    `vector`, best first: the embedding carries most of the similarity, so the full score is
    only computed for these."""
    if len(matrix) == 0:
        return np.empty(0, dtype=np.int64)
    cosines = matrix @ vector
    k = min(k, len(cosines))
    top = np.argpartition(-cosines, k - 1)[:k]
    order: npt.NDArray[np.int64] = top[np.argsort(-cosines[top], kind="stable")].astype(np.int64)
    return order


def expand(signals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Model features (FEATURES order) from a (pairs, SIGNALS) matrix."""
    embedding, pieces, cross = signals[:, 0], signals[:, 1], signals[:, 5]
    columns = [signals, (cross * embedding)[:, None]]
    columns += [np.maximum(embedding - k, 0.0)[:, None] for k in EMBEDDING_KNOTS]
    columns += [np.maximum(pieces - k, 0.0)[:, None] for k in PIECES_KNOTS]
    out: npt.NDArray[np.float64] = np.hstack(columns)
    return out


class Linker:
    """Prepares articles once and scores pairs; the one code path for pairs and stories."""

    def __init__(self, *, model: Model | None = None, embedder: Encoder | None = None) -> None:
        self.model = model or default_model()
        if self.model.features != FEATURES:
            raise ValueError(f"model features {self.model.features} are not {FEATURES}")
        self._encoder = embedder

    @property
    def threshold(self) -> float:
        return self.model.threshold

    def prepare_many(self, docs: Sequence[LinkDoc]) -> list[Prepared]:
        """Features for many articles (embeddings computed in one batch)."""
        enc = self._encoder or encoder()
        vectors = enc.encode(
            [tx.lead(d.text, title=d.title, chars=self.model.lead_chars) for d in docs]
        )
        sp = tokenizer()
        out = []
        for doc, vector in zip(docs, vectors, strict=True):
            full = f"{doc.title}\n{doc.text}" if doc.title else doc.text
            ids, values = _pieces(sp.encode(full, out_type=int))
            found = tx.names(full)
            out.append(
                Prepared(
                    vector=vector,
                    piece_ids=ids,
                    piece_values=values,
                    names=found | doc.entities,
                    name_grams=tx.trigrams(found),
                    numbers=tx.numbers(full),
                    language=(doc.language or "").lower()[:2] or None,
                    published=doc.published,
                )
            )
        return out

    def prepare(self, doc: LinkDoc) -> Prepared:
        """Features for one article."""
        return self.prepare_many([doc])[0]

    def signals(self, a: Prepared, b: Prepared) -> npt.NDArray[np.float64]:
        """The raw signals for one pair, in SIGNALS order."""
        _, ia, ib = np.intersect1d(
            a.piece_ids, b.piece_ids, assume_unique=True, return_indices=True
        )
        cross = a.language is not None and b.language is not None and a.language != b.language
        return np.array(
            [
                float(np.dot(a.vector, b.vector)),
                float(np.dot(a.piece_values[ia], b.piece_values[ib])),
                _overlap(a.names, b.names),
                _jaccard(a.name_grams, b.name_grams),
                _jaccard(a.numbers, b.numbers),
                float(cross),
            ],
            dtype=np.float64,
        )

    def features(self, a: Prepared, b: Prepared) -> npt.NDArray[np.float64]:
        """The model's input for one pair, in FEATURES order."""
        row: npt.NDArray[np.float64] = expand(self.signals(a, b)[None, :])[0]
        return row

    def similarity(self, a: Prepared, b: Prepared) -> float:
        """Similarity in [0, 1]: 1 the same story, 0 unrelated."""
        return self.similarities(a, [b])[0]

    def similarities(self, a: Prepared, others: Sequence[Prepared]) -> list[float]:
        """Similarity of `a` to each of `others`."""
        if not others:
            return []
        x = expand(np.stack([self.signals(a, b) for b in others]))
        scores = self.model.score(x)
        return [
            round(float(s) * time_factor(a.published, b.published), 6)
            for s, b in zip(scores, others, strict=True)
        ]

    def same_story(self, a: Prepared, b: Prepared) -> bool:
        """Whether two articles report the same story (similarity at or above the threshold)."""
        return self.similarity(a, b) >= self.threshold
