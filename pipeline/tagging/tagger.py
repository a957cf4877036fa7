"""The conflict tagger: lexicon hits -> feature counts -> linear score, plus tags and evidence."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from operator import itemgetter, mul
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.tagging.matcher import Matcher, prepare
from pipeline.tagging.taxonomy import (
    Concept,
    Taxonomy,
    default_dir,
    load_taxonomy,
    taxonomy_files,
)

TITLE, BODY = "title", "body"
# A title hit counts as this many body hits for tag scores and theatre support.
TITLE_WEIGHT = 2.0
# Words that turn the next term around ("no casualties", "без жертв", "non-violent").
NEGATORS = frozenset(
    {"no", "not", "non", "without", "never", "nor", "нет", "не", "без", "ні", "жодних"}
)
# Features a negator moves into the "negated" feature (event words like "ceasefire" keep counting:
# "no ceasefire violations" is still about the conflict).
NEGATABLE = frozenset({"violence", "casualties", "war", "attack"})
MAX_EVIDENCE = 24


class Tag(NamedTuple):
    """One tag on a text, with the matched terms that support it.

    A NamedTuple rather than a frozen dataclass: an article gets a dozen of them, and a frozen
    dataclass's `__init__` (one `object.__setattr__` per field) was a tenth of tagging time.
    """

    kind: str  # "topic" | "event" | "conflict" | "actor" | "place"
    value: str  # human name
    code: str | None  # IPTC code for topics, taxonomy id otherwise
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TagResult:
    """The tagger's verdict on one text."""

    is_conflict: bool
    score: float  # [0, 1]
    tags: tuple[Tag, ...]
    evidence: tuple[str, ...]
    version: str = ""

    def _kind(self, kind: str) -> list[Tag]:
        return [t for t in self.tags if t.kind == kind]

    @property
    def topics(self) -> list[Tag]:
        return self._kind("topic")

    @property
    def events(self) -> list[Tag]:
        return self._kind("event")

    @property
    def conflicts(self) -> list[Tag]:
        return self._kind("conflict")

    @property
    def actors(self) -> list[Tag]:
        return self._kind("actor")

    @property
    def places(self) -> list[Tag]:
        return self._kind("place")

    def to_json(self, id: Any = None) -> dict[str, Any]:
        """The `newsdesk tag` output object."""
        return {
            "id": id,
            "is_conflict": self.is_conflict,
            "score": round(self.score, 4),
            "topics": [t.code for t in self.topics],
            "events": [t.value for t in self.events],
            "conflicts": [t.value for t in self.conflicts],
            "actors": [t.value for t in self.actors],
            "places": [t.value for t in self.places],
            "evidence": list(self.evidence),
        }

    def rows(self) -> list[tuple[str, str, str | None, float, str]]:
        """Flat (kind, value, code, score, evidence) rows for an `article_tags` table."""
        return [(t.kind, t.value, t.code, t.score, "; ".join(t.evidence)) for t in self.tags]


def _saturate(weight: float) -> float:
    return round(weight / (weight + 2.0), 4)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _negated(text: str, start: int) -> bool:
    words = text[max(0, start - 24) : start].split()
    return bool(words) and (words[-1] in NEGATORS or (len(words) > 1 and words[-2] in NEGATORS))


Counts = dict[tuple[str, str], int]  # (surface, note) -> hits


@dataclass(slots=True)
class _Zone:
    """Hits of one zone (title or body) reduced to what scoring and tags need.

    Plain dicts, not Counters: Counter's `__missing__` is Python code, and these are updated
    once per distinct hit of every article.
    """

    features: dict[str, int]
    concepts: dict[int, int]
    by_concept: dict[int, Counts]  # tagged concept -> (surface, note) counts
    surfaces: Counts  # every hit once: (surface, note)
    words: int


# What one plain automaton entry adds to a zone per hit: surface, features, counted concepts,
# tagged (concept, note) pairs, and the note of the hit as a whole.
_Effect = tuple[str, tuple[str, ...], tuple[int, ...], tuple[tuple[int, str], ...], str]


def _add(counts: dict[Any, int], key: Any, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


class Tagger:
    """Tags topics, event types, theatres, actors and places; scores conflict relevance."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.version = taxonomy.version
        self.directory = taxonomy.directory
        self._concepts: list[Concept] = list(taxonomy.concepts.values())
        index = {c.key: i for i, c in enumerate(self._concepts)}
        self._matcher = Matcher(
            [(t, index[t.concept]) for t in taxonomy.terms],
            nested=frozenset(
                i for i, c in enumerate(self._concepts) if c.kind in {"actor", "place"}
            ),
            masks=frozenset(i for i, c in enumerate(self._concepts) if c.mask),
            positional=frozenset(
                i for i, c in enumerate(self._concepts) if c.feature in NEGATABLE and not c.mask
            ),
        )
        # Concepts that become tags (cues only feed the score and the overall evidence).
        self._tagged = frozenset(i for i, c in enumerate(self._concepts) if c.kind != "cue")
        self._effects: list[_Effect | None] = [None] * len(self._matcher.entries)
        self._model = taxonomy.model
        topic_names = {c.id: c.name for c in self._concepts if c.kind == "topic"}
        self._topic_names = topic_names
        conflict_names = {c.id: c.name for c in self._concepts if c.kind == "conflict"}
        self._conflict_names = conflict_names

    @classmethod
    def load(cls, taxonomy_dir: Path | None = None) -> Tagger:
        """Build a tagger from a taxonomy directory (default: the repo's seeds/taxonomy)."""
        return cls(load_taxonomy(taxonomy_dir))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Workers rebuild from the files (cached per process) instead of pickling the automaton.
        return (get_tagger, (str(self.directory),))

    @property
    def pattern_count(self) -> int:
        return self._matcher.size

    def _effect(self, entry_id: int) -> _Effect:
        """What a hit on a plain automaton entry adds to a zone (built once per entry)."""
        effect = self._effects[entry_id]
        if effect is None:
            surface, exact, _, inner = self._matcher.entries[entry_id]
            feats: list[str] = []
            counted: list[int] = []
            tagged: list[tuple[int, str]] = []
            hit_note = ""
            for ci in (*exact, *inner):
                concept = self._concepts[ci]
                note = "metaphor" if concept.mask else ""
                feats.append(concept.feature)
                if note:
                    hit_note = note
                else:
                    counted.append(ci)
                if ci in self._tagged:
                    tagged.append((ci, note))
            effect = (surface, tuple(feats), tuple(counted), tuple(tagged), hit_note)
            self._effects[entry_id] = effect
        return effect

    def _zone(self, text: str) -> _Zone:
        features: dict[str, int] = {}
        concepts: dict[int, int] = {}
        by_concept: dict[int, Counts] = {}
        surfaces: Counts = {}
        if not text:
            return _Zone(features, concepts, by_concept, surfaces, 0)
        prepared, n_words = prepare(text)
        plain, placed = self._matcher.scan(prepared)
        effects = self._effects
        for entry_id, n in Counter(plain).items():
            effect = effects[entry_id] or self._effect(entry_id)
            surface, feats, counted, tagged_pairs, hit_note = effect
            for feature in feats:
                features[feature] = features.get(feature, 0) + n
            for ci in counted:
                concepts[ci] = concepts.get(ci, 0) + n
            for ci, note in tagged_pairs:
                counts = by_concept.get(ci)
                if counts is None:
                    by_concept[ci] = {(surface, note): n}
                else:
                    key = (surface, note)
                    counts[key] = counts.get(key, 0) + n
            key = (surface, hit_note)
            surfaces[key] = surfaces.get(key, 0) + n
        tagged = self._tagged
        for hit in placed:
            surface = hit.surface
            negated = None
            hit_note = ""
            for ci in hit.concepts:
                concept = self._concepts[ci]
                feature = concept.feature
                note = ""
                if concept.mask:
                    note = "metaphor"
                elif feature in NEGATABLE:
                    if negated is None:
                        negated = _negated(prepared, hit.start)
                    if negated:
                        feature, note = "negated", "negated"
                _add(features, feature, 1)
                if not note:
                    _add(concepts, ci, 1)
                hit_note = hit_note or note
                if ci in tagged:
                    _add(by_concept.setdefault(ci, {}), (surface, note), 1)
            _add(surfaces, (surface, hit_note), 1)
        return _Zone(features, concepts, by_concept, surfaces, n_words)

    def features(self, title: str | None, text: str | None) -> dict[str, float]:
        """Model inputs for a text (also used offline to fit the weights)."""
        t = self._zone(title or "")
        b = self._zone(text or "")
        return feature_vector(t, b)

    def _score(self, x: dict[str, float]) -> float:
        w = self._model.weights
        z = self._model.bias + sum(map(mul, x.values(), map(w.get, x.keys(), repeat(0.0))))
        return _sigmoid(z)

    def tag(self, title: str | None, text: str | None, language: str | None = None) -> TagResult:
        """Tag one text. `language` is accepted for the record: every lexicon is always matched."""
        del language  # headlines mix scripts; all languages' terms are in one automaton
        t = self._zone(title or "")
        b = self._zone(text or "")
        x = feature_vector(t, b)
        score = self._score(x)
        if not has_conflict_evidence(x):
            # Without a single conflict term the bias alone must never decide; keep the score
            # below the threshold so `is_conflict` and the score agree.
            score = min(score, self._model.threshold / 2)
        is_conflict = score >= self._model.threshold
        return TagResult(
            is_conflict=is_conflict,
            score=round(score, 4),
            tags=tuple(self._tags(t, b, is_conflict)),
            evidence=_evidence(t, b, None),
            version=self.version,
        )

    def _tags(self, t: _Zone, b: _Zone, is_conflict: bool) -> list[Tag]:
        weight: dict[int, float] = {}
        for ci, n in t.concepts.items():
            weight[ci] = weight.get(ci, 0.0) + TITLE_WEIGHT * n
        for ci, n in b.concepts.items():
            weight[ci] = weight.get(ci, 0.0) + n
        tags: list[Tag] = []
        topic_weight: dict[str, float] = {}
        topic_sources: dict[str, set[int]] = {}
        theatre_weight: dict[str, float] = {}
        theatre_sources: dict[str, set[int]] = {}
        for ci, w in weight.items():
            c = self._concepts[ci]
            for code in c.topics:
                topic_weight[code] = topic_weight.get(code, 0.0) + w
                topic_sources.setdefault(code, set()).add(ci)
            for conflict in c.conflicts:
                # Direct theatre names count fully; states shared by several theatres are split.
                theatre_weight[conflict] = theatre_weight.get(conflict, 0.0) + w / len(c.conflicts)
                theatre_sources.setdefault(conflict, set()).add(ci)
            if c.kind == "conflict":
                theatre_weight[c.id] = theatre_weight.get(c.id, 0.0) + 2 * w
                theatre_sources.setdefault(c.id, set()).add(ci)
            if c.kind in _ENTITY_KINDS:
                ev = _concept_evidence(t, b, ci)
                tags.append(Tag(c.kind, c.name, c.id, _saturate(w), ev))
        for code, w in topic_weight.items():
            ev = _evidence(t, b, topic_sources[code])
            name = self._topic_names[code]
            tags.append(Tag(kind="topic", value=name, code=code, score=_saturate(w), evidence=ev))
        if is_conflict and theatre_weight:
            best = max(theatre_weight.values())
            for conflict, w in theatre_weight.items():
                if w >= 1.5 and w >= 0.3 * best:
                    ev = _evidence(t, b, theatre_sources[conflict])
                    name = self._conflict_names[conflict]
                    tags.append(
                        Tag(
                            kind="conflict",
                            value=name,
                            code=conflict,
                            score=_saturate(w / 2),
                            evidence=ev,
                        )
                    )
        kind_order = {"topic": 0, "event": 1, "conflict": 2, "actor": 3, "place": 4}
        tags.sort(key=lambda tag: (kind_order[tag.kind], -tag.score, tag.value))
        return tags


# Feature groups that say "this text is about another subject" and those that say "about conflict";
# their balance matters in long texts where a domestic story mentions a war in passing.
OTHER_SUBJECTS = frozenset(
    {
        "sports",
        "business",
        "economy",
        "tech",
        "entertainment",
        "domestic_politics",
        "health",
        "disaster",
        "metaphor",
        "politician",
    }
)
CONFLICT_SUBJECTS = frozenset(
    {
        "war",
        "military",
        "weapons",
        "attack",
        "violence",
        "terror",
        "security_ops",
        "armed_group",
        "conflict_name",
        "conflict_state",
        "theatre_place",
        "leader",
        "org_military",
        "peace",
        "prisoners",
        "territorial",
        "casualties",
        "humanitarian",
        "nuclear",
        "region_state",
        "region_leader",
        "unrest",
    }
)


def _share(features: dict[str, int]) -> float | None:
    pos = sum(n for f, n in features.items() if f in CONFLICT_SUBJECTS)
    neg = sum(n for f, n in features.items() if f in OTHER_SUBJECTS)
    return None if pos + neg == 0 else (pos - neg) / (pos + neg)


# Any of these lets the model decide; with none of them a text is not conflict-related.
# Leaders and states that are not at war are left out: "Putin" in an economy story is tagged
# as an actor but cannot by itself make the story conflict-related.
EVIDENCE = (CONFLICT_SUBJECTS | {"sanctions", "attack_weak", "violence_weak"}) - {
    "leader",
    "region_state",
    "region_leader",
}


def has_conflict_evidence(x: dict[str, float]) -> bool:
    """True when some hit is conflict vocabulary, not only cues for other subjects."""
    return any(k[2:] in EVIDENCE for k in x if k[:2] in {"t:", "b:"})


def feature_vector(t: _Zone, b: _Zone) -> dict[str, float]:
    """Log counts per feature group for title and body, and densities per 100 words.

    No length feature on purpose: in the dev set short texts are mostly war headlines, and a
    model that learns "short means conflict" would flag every empty-handed brief.
    """
    x: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for f, n in t.features.items():
        x["t:" + f] = math.log1p(n)
        weighted[f] = weighted.get(f, 0.0) + TITLE_WEIGHT * n
    for f, n in b.features.items():
        x["b:" + f] = math.log1p(n)
        weighted[f] = weighted.get(f, 0.0) + n
    # Density over the whole text, title hits counted TITLE_WEIGHT times: a hit in a one-line
    # body must not outweigh the same hit in the title.
    per = 100.0 / max(t.words + b.words, 100)
    for f, hits in weighted.items():
        x["d:" + f] = min(hits * per, 5.0)
    for name, zone in (("s:title", t), ("s:body", b)):
        share = _share(zone.features)
        if share is not None:
            x[name] = share
    return x


_COUNT = itemgetter(1)


_ENTITY_KINDS = frozenset({"event", "actor", "place"})


def _item(zone_name: str, surface: str, note: str, n: int) -> str:
    item = f"{zone_name}:{surface}"
    if n > 1:
        item += f" x{n}"
    if note:
        item += f" ({note})"
    return item


def _concept_evidence(t: _Zone, b: _Zone, ci: int) -> tuple[str, ...]:
    """`_evidence(t, b, {ci})`, the common case, without merging or set handling."""
    out: list[str] = []
    for zone_name, zone in ((TITLE, t), (BODY, b)):
        counts = zone.by_concept.get(ci)
        if not counts:
            continue
        if len(counts) == 1:
            for (surface, note), n in counts.items():
                out.append(_item(zone_name, surface, note, n))
            continue
        ranked = sorted(counts.items())
        ranked.sort(key=_COUNT, reverse=True)
        out.extend(_item(zone_name, surface, note, n) for (surface, note), n in ranked)
    return tuple(out[:MAX_EVIDENCE])


def _evidence(t: _Zone, b: _Zone, only: set[int] | None) -> tuple[str, ...]:
    """Items "zone:surface [xN] [(note)]", title first, most frequent first."""
    if only is not None and len(only) == 1:
        return _concept_evidence(t, b, next(iter(only)))
    out: list[str] = []
    for zone_name, zone in ((TITLE, t), (BODY, b)):
        merged: Counts
        if only is None:
            merged = zone.surfaces
        else:
            merged = {}
            for ci in only:
                for key, n in zone.by_concept.get(ci, {}).items():
                    _add(merged, key, n)
        if not merged:
            continue
        ranked = list(merged.items())
        if len(ranked) > 1:
            # Most frequent first, ties by (surface, note): two stable C-level sorts, no lambda.
            ranked.sort()
            ranked.sort(key=_COUNT, reverse=True)
        for (surface, note), n in ranked:
            out.append(_item(zone_name, surface, note, n))
            if len(out) >= MAX_EVIDENCE:
                return tuple(out)
    return tuple(out)


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
