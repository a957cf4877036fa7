"""The conflict tagger: lexicon hits -> feature counts -> linear score, plus tags and evidence.

Matching lives in zones.py (and matcher.py), the model's inputs in scoring.py, evidence
strings in evidence.py; this module ties them together and caches one tagger per process.
"""

from __future__ import annotations

import math
import time
from functools import cache
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.tagging.evidence import concept_evidence, evidence, saturate, tag_order
from pipeline.tagging.language import LEXICONS, choose_lexicon
from pipeline.tagging.matcher import Matcher
from pipeline.tagging.morph import script_lang
from pipeline.tagging.normalize import prepare
from pipeline.tagging.result import Tag, TagResult
from pipeline.tagging.scoring import (
    BELLIGERENT_FEATURES,
    PEACE_MARGIN,
    TITLE_WEIGHT,
    feature_vector,
    has_evidence,
    linear,
    peace_process,
    sigmoid,
)
from pipeline.tagging.taxonomy import (
    Concept,
    Taxonomy,
    default_dir,
    load_taxonomy,
    taxonomy_files,
)
from pipeline.tagging.zones import NEGATABLE, Zone, ZoneReader

_EMPTY = (b"", 0)


def _prepare(title: str | None, text: str | None) -> tuple[tuple[bytes, int], tuple[bytes, int]]:
    return (prepare(title) if title else _EMPTY), (prepare(text) if text else _EMPTY)


# bias, feature group -> (title, body, density) weights, (title, body) share weights
_Table = tuple[float, dict[str, tuple[float, float, float]], tuple[float, float]]


def _offsets(weights: dict[str, float], lexicon: str) -> dict[str, float]:
    """A lexicon's offset rows of model.csv, without their "<lexicon>:" prefix."""
    prefix = f"{lexicon}:"
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}


def _table(weights: dict[str, float], bias: float, offsets: dict[str, float]) -> _Table:
    """Main weights plus a lexicon's offsets (none: the main model) in `linear`'s layout."""

    def w(name: str) -> float:
        return weights.get(name, 0.0) + offsets.get(name, 0.0)

    groups = {name[2:] for name in (*weights, *offsets) if name[:2] in {"t:", "b:", "d:"}}
    table = {f: (w("t:" + f), w("b:" + f), w("d:" + f)) for f in groups}
    return bias + offsets.get("__bias__", 0.0), table, (w("s:title"), w("s:body"))


_ENTITY_KINDS = frozenset({"event", "actor", "place"})


class _Info(NamedTuple):
    """What `_tags` needs of one concept, resolved once."""

    kind: str
    name: str
    id: str
    topics: tuple[str, ...]
    theatres: tuple[tuple[str, int], ...]  # theatre id, how many theatres share the weight
    entity: bool  # becomes an event/actor/place tag itself


class Tagger:
    """Tags topics, event types, theatres, actors and places; scores conflict relevance."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.version = taxonomy.version
        self.directory = taxonomy.directory
        self._concepts: list[Concept] = list(taxonomy.concepts.values())
        self._model = taxonomy.model
        self._topic_names = {c.id: c.name for c in self._concepts if c.kind == "topic"}
        self._conflict_names = {c.id: c.name for c in self._concepts if c.kind == "conflict"}
        weights = self._model.weights
        # A peace-process story is conflict-related even without a violence word: its log-odds
        # are raised to just above the threshold's (a floor, not a weight: see peace_process).
        threshold = self._model.threshold
        self._peace_floor = math.log(threshold / (1 - threshold)) + PEACE_MARGIN
        # Per lexicon: bias, (title, body, density) weights per feature group, share weights.
        # Offsets ("cyr:", "de:" ... rows of model.csv, fitted on labelled text in that language
        # with the main weights fixed: bench/eval_tagger.py fit-offsets) are added in, so every
        # lexicon scores by the same fused sum.
        self._main = _table(weights, self._model.bias, {})
        self._tables = {
            lexicon: _table(weights, self._model.bias, offsets)
            for lexicon in LEXICONS
            if (offsets := _offsets(weights, lexicon))
        }
        self._infos = [
            _Info(
                c.kind,
                c.name,
                c.id,
                c.topics,
                tuple((conflict, len(c.conflicts)) for conflict in c.conflicts),
                c.kind in _ENTITY_KINDS,
            )
            for c in self._concepts
        ]
        # Concepts whose hit counts `_tags` needs: cues without topics or theatres only feed
        # features and evidence, so they are not counted per concept (7 of 11 per article).
        self._weighed = frozenset(
            i
            for i, info in enumerate(self._infos)
            if info.topics or info.theatres or info.kind == "conflict" or info.entity
        )
        # Concepts that become tags (cues only feed the score and the overall evidence).
        self._tagged = frozenset(i for i, c in enumerate(self._concepts) if c.kind != "cue")
        self._readers: dict[str, ZoneReader] = {}
        # Names that make talks, meetings and prisoner swaps about a war: the states, leaders,
        # armed groups, front places and envoys linked to a theatre (see `peace_process`).
        self._belligerents = frozenset(
            i
            for i, c in enumerate(self._concepts)
            if c.kind in {"actor", "place"} and c.conflicts and c.feature in BELLIGERENT_FEATURES
        )

    def _reader(self, lexicon: str) -> ZoneReader:
        """The reader of one lexicon (language.LEXICONS, or ALL), built on first use."""
        reader = self._readers.get(lexicon)
        if reader is None:
            langs = LEXICONS.get(lexicon)
            concepts = self._concepts
            index = {c.key: i for i, c in enumerate(concepts)}
            # Names in Latin letters go into every lexicon; names in Cyrillic or Arabic letters
            # only into their script's (a text read with a lexicon is mostly in its script),
            # which keeps each automaton a quarter of the size of all of them together.
            matcher = Matcher(
                [
                    (t, index[t.concept])
                    for t in self.taxonomy.terms
                    if langs is None
                    or t.lang in langs
                    or (t.lang == "xx" and script_lang(t.text) in {"xx", *langs})
                ],
                nested=frozenset(i for i, c in enumerate(concepts) if c.kind in {"actor", "place"}),
                masks=frozenset(i for i, c in enumerate(concepts) if c.mask),
                positional=frozenset(
                    i for i, c in enumerate(concepts) if c.feature in NEGATABLE and not c.mask
                ),
            )
            reader = self._readers[lexicon] = ZoneReader(
                matcher, concepts=concepts, tagged=self._tagged, weighed=self._weighed
            )
        return reader

    @classmethod
    def load(cls, taxonomy_dir: Path | None = None) -> Tagger:
        """Build a tagger from a taxonomy directory (default: the repo's seeds/taxonomy)."""
        return cls(load_taxonomy(taxonomy_dir))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Workers rebuild from the files (cached per process) instead of pickling the automaton.
        return (get_tagger, (str(self.directory),))

    @property
    def pattern_count(self) -> int:
        """Automaton keys of the lexicons built so far (every lexicon: `self._reader(ALL)`)."""
        return sum(reader.matcher.size for reader in self._readers.values())

    def lexicon(self, title: str | None, text: str | None, language: str | None = None) -> str:
        """The lexicon a text is matched with (see language.py)."""
        (pt, _), (pb, _) = _prepare(title, text)
        return choose_lexicon(language, pt, pb, title or "", text or "")

    def zones(
        self, title: str | None, text: str | None, language: str | None = None
    ) -> tuple[Zone, Zone, str]:
        """The title and body zones of a text, and the lexicon they were read with."""
        (pt, nt), (pb, nb) = _prepare(title, text)
        lexicon = choose_lexicon(language, pt, pb, title or "", text or "")
        reader = self._readers.get(lexicon) or self._reader(lexicon)
        return reader.read(pt, nt), reader.read(pb, nb), lexicon

    def features(
        self, title: str | None, text: str | None, language: str | None = None
    ) -> dict[str, float]:
        """Model inputs for a text (also used offline to fit the weights)."""
        t, b, _ = self.zones(title, text, language)
        return feature_vector(t, b)

    def _score(self, x: dict[str, float]) -> float:
        return sigmoid(self._model.bias + self._dot(x))

    def _dot(self, x: dict[str, float]) -> float:
        w = self._model.weights
        total: float = sum(map(mul, x.values(), map(w.get, x.keys(), repeat(0.0))))
        return total

    def _z(self, t: Zone, b: Zone, lexicon: str) -> float:
        """The model's log-odds for a text: bias + weights, with its lexicon's offsets if any."""
        bias, weights, share_weights = self._tables.get(lexicon) or self._main
        return bias + linear(weights, share_weights, t, b)

    def model_inputs(
        self, title: str | None, text: str | None, language: str | None = None
    ) -> tuple[float, dict[str, float], str]:
        """For offline fitting: log-odds without offsets, the features, and the lexicon."""
        t, b, lexicon = self.zones(title, text, language)
        x = feature_vector(t, b)
        return self._model.bias + self._dot(x), x, lexicon

    def tag(self, title: str | None, text: str | None, language: str | None = None) -> TagResult:
        """Tag one text; `language` (ISO 639-1) picks the lexicon, detected when None."""
        t, b, lexicon = self.zones(title, text, language)
        z = self._z(t, b, lexicon)
        peace = peace_process(t, b, self._belligerents)
        if peace and z < self._peace_floor:
            z = self._peace_floor
        score = sigmoid(z)
        if not peace and not has_evidence(t, b):
            # Without a single conflict term the bias alone must never decide; keep the score
            # below the threshold so `is_conflict` and the score agree.
            score = min(score, self._model.threshold / 2)
        is_conflict = score >= self._model.threshold
        return TagResult(
            is_conflict=is_conflict,
            score=round(score, 4),
            tags=tuple(self._tags(t, b, is_conflict)),
            evidence=evidence(t, b, None),
            version=self.version,
        )

    def _tags(self, t: Zone, b: Zone, is_conflict: bool) -> list[Tag]:
        weight: dict[int, float] = {}
        for ci, n in t.concepts.items():
            weight[ci] = TITLE_WEIGHT * n
        for ci, n in b.concepts.items():
            w = weight.get(ci)
            weight[ci] = 0.0 + n if w is None else w + n
        tags: list[Tag] = []
        topic_weight: dict[str, float] = {}
        topic_sources: dict[str, list[int]] = {}
        theatre_weight: dict[str, float] = {}
        theatre_sources: dict[str, list[int]] = {}
        infos = self._infos
        memo: dict[int, tuple[str, ...]] = {}  # concept -> its evidence, built at most once
        for ci, w in weight.items():
            kind, name, ident, topics, theatres, entity = infos[ci]
            # Sources are lists, each concept once: a code listed twice adds weight twice (as
            # written) but its evidence once.
            for code in topics:
                if code in topic_weight:
                    topic_weight[code] += w
                    sources = topic_sources[code]
                    if sources[-1] != ci:
                        sources.append(ci)
                else:
                    topic_weight[code] = w
                    topic_sources[code] = [ci]
            for conflict, share in theatres:
                # Direct theatre names count fully; states shared by several theatres are split.
                theatre_weight[conflict] = theatre_weight.get(conflict, 0.0) + w / share
                sources = theatre_sources.setdefault(conflict, [])
                if not sources or sources[-1] != ci:
                    sources.append(ci)
            if kind == "conflict":
                theatre_weight[ident] = theatre_weight.get(ident, 0.0) + 2 * w
                sources = theatre_sources.setdefault(ident, [])
                if not sources or sources[-1] != ci:
                    sources.append(ci)
            if entity:
                memo[ci] = ev = concept_evidence(t, b, ci)
                tags.append(Tag(kind, name, ident, saturate(w), ev))
        topic_names = self._topic_names
        for code, w in topic_weight.items():
            tags.append(
                Tag(
                    "topic",
                    topic_names[code],
                    code,
                    saturate(w),
                    evidence(t, b, topic_sources[code], memo),
                )
            )
        if is_conflict and theatre_weight:
            best = max(theatre_weight.values())
            for conflict, w in theatre_weight.items():
                if w >= 1.5 and w >= 0.3 * best:
                    ev = evidence(t, b, theatre_sources[conflict], memo)
                    name = self._conflict_names[conflict]
                    tags.append(Tag("conflict", name, conflict, saturate(w / 2), ev))
        tags.sort(key=tag_order)
        return tags


@cache
def _cached(directory: str, stamp: tuple[tuple[str, int, int], ...]) -> Tagger:
    del stamp  # part of the cache key: edited files load afresh
    return Tagger.load(Path(directory))


# directory -> (when its files were last stat-ed, tagger); see get_tagger.
_RECENT: dict[str, tuple[float, Tagger]] = {}
RECHECK_SECONDS = 5.0


def get_tagger(taxonomy_dir: str | Path | None = None) -> Tagger:
    """A process-wide tagger per taxonomy directory, rebuilt when a taxonomy file changes.

    Cheap enough to call per article: the files are stat-ed (name, size, mtime) at most every
    RECHECK_SECONDS per directory; in between the same tagger is returned.
    """
    key = str(taxonomy_dir) if taxonomy_dir else ""
    now = time.monotonic()
    recent = _RECENT.get(key)
    if recent is not None and now - recent[0] < RECHECK_SECONDS:
        return recent[1]
    directory = Path(taxonomy_dir).resolve() if taxonomy_dir else default_dir()
    stamp = tuple(
        (p.name, (st := p.stat()).st_size, st.st_mtime_ns) for p in taxonomy_files(directory)
    )
    tagger = _cached(str(directory), stamp)
    _RECENT[key] = (now, tagger)
    return tagger
