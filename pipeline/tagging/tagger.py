"""The conflict tagger: lexicon hits -> feature counts -> linear score, plus tags and evidence."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.tagging.matcher import Hit, Matcher
from pipeline.tagging.normalize import normalize
from pipeline.tagging.taxonomy import Concept, Taxonomy, load_taxonomy

TITLE, BODY = "title", "body"
# A title hit counts as this many body hits for tag scores and theatre support.
TITLE_WEIGHT = 2.0
# Words that turn the next term around ("no casualties", "без жертв", "non-violent").
NEGATORS = frozenset({"no", "not", "non", "without", "never", "nor", "нет", "не", "без", "ні", "жодних"})
# Features a negator moves into the "negated" feature (event words like "ceasefire" keep counting:
# "no ceasefire violations" is still about the conflict).
NEGATABLE = frozenset({"violence", "casualties", "war", "attack"})
MAX_EVIDENCE = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class Tag:
    """One tag on a text, with the matched terms that support it."""

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

    def to_json(self, id: Any = None) -> dict[str, Any]:  # noqa: A002 - the JSONL field is "id"
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
    words = text[max(0, start - 16) : start].split()
    return bool(words) and (words[-1] in NEGATORS or (len(words) > 1 and words[-2] in NEGATORS))


@dataclass(slots=True)
class _Zone:
    """Hits of one zone (title or body) reduced to what scoring and tags need."""

    features: Counter[str]
    concepts: Counter[int]
    surfaces: Counter[tuple[int, str, str]]  # (concept, surface, note)
    words: int


class Tagger:
    """Tags texts with topics, event types, theatres, actors and places; scores conflict relevance."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.version = taxonomy.version
        self.directory = taxonomy.directory
        self._concepts: list[Concept] = list(taxonomy.concepts.values())
        index = {c.key: i for i, c in enumerate(self._concepts)}
        self._matcher = Matcher([(t, index[t.concept]) for t in taxonomy.terms])
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

    def _zone(self, text: str) -> tuple[_Zone, str, list[Hit]]:
        norm = normalize(text) if text else ""
        hits = self._matcher.find(norm)
        features: Counter[str] = Counter()
        concepts: Counter[int] = Counter()
        surfaces: Counter[tuple[int, str, str]] = Counter()
        for hit in hits:
            surface = norm[hit.start : hit.end]
            negated = None
            for ci in hit.concepts:
                concept = self._concepts[ci]
                feature = concept.feature
                note = ""
                if concept.mask:
                    note = "metaphor"
                elif feature in NEGATABLE:
                    if negated is None:
                        negated = _negated(norm, hit.start)
                    if negated:
                        feature, note = "negated", "negated"
                features[feature] += 1
                if not note:
                    concepts[ci] += 1
                surfaces[(ci, surface, note)] += 1
        words = norm.count(" ") + 1 if norm else 0
        return _Zone(features, concepts, surfaces, words), norm, hits

    def features(self, title: str | None, text: str | None) -> dict[str, float]:
        """Model inputs for a text (also used offline to fit the weights)."""
        t, _, _ = self._zone(title or "")
        b, _, _ = self._zone(text or "")
        return feature_vector(t, b)

    def _score(self, x: dict[str, float]) -> float:
        w = self._model.weights
        z = self._model.bias + sum(v * w.get(k, 0.0) for k, v in x.items())
        return _sigmoid(z)

    def tag(self, title: str | None, text: str | None, language: str | None = None) -> TagResult:
        """Tag one text. `language` is accepted for the record: every lexicon is always matched."""
        del language  # headlines mix scripts; all languages' terms are in one automaton
        t, _, _ = self._zone(title or "")
        b, _, _ = self._zone(text or "")
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
        weight: Counter[int] = Counter()
        for ci, n in t.concepts.items():
            weight[ci] += TITLE_WEIGHT * n
        for ci, n in b.concepts.items():
            weight[ci] += n
        tags: list[Tag] = []
        topic_weight: Counter[str] = Counter()
        topic_sources: dict[str, set[int]] = {}
        theatre_weight: Counter[str] = Counter()
        theatre_sources: dict[str, set[int]] = {}
        for ci, w in weight.items():
            c = self._concepts[ci]
            for code in c.topics:
                topic_weight[code] += w
                topic_sources.setdefault(code, set()).add(ci)
            for conflict in c.conflicts:
                # Direct theatre names count fully; states shared by several theatres are split.
                theatre_weight[conflict] += w / len(c.conflicts)
                theatre_sources.setdefault(conflict, set()).add(ci)
            if c.kind == "conflict":
                theatre_weight[c.id] += 2 * w
                theatre_sources.setdefault(c.id, set()).add(ci)
            if c.kind in {"event", "actor", "place"}:
                ev = _evidence(t, b, {ci})
                tags.append(Tag(kind=c.kind, value=c.name, code=c.id, score=_saturate(w), evidence=ev))
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
                        Tag(kind="conflict", value=name, code=conflict, score=_saturate(w / 2), evidence=ev)
                    )
        kind_order = {"topic": 0, "event": 1, "conflict": 2, "actor": 3, "place": 4}
        tags.sort(key=lambda tag: (kind_order[tag.kind], -tag.score, tag.value))
        return tags


# Feature groups that say "this text is about another subject" and those that say "about conflict";
# their balance matters in long texts where a domestic story mentions a war in passing.
OTHER_SUBJECTS = frozenset(
    {"sports", "business", "economy", "tech", "entertainment", "domestic_politics", "health",
     "disaster", "metaphor", "politician"}
)
CONFLICT_SUBJECTS = frozenset(
    {"war", "military", "weapons", "attack", "violence", "terror", "security_ops", "armed_group",
     "conflict_name", "conflict_state", "theatre_place", "leader", "org_military", "peace",
     "prisoners", "territorial", "casualties", "humanitarian", "nuclear", "region_state",
     "region_leader", "unrest"}
)


def _share(features: Counter[str]) -> float | None:
    pos = sum(n for f, n in features.items() if f in CONFLICT_SUBJECTS)
    neg = sum(n for f, n in features.items() if f in OTHER_SUBJECTS)
    return None if pos + neg == 0 else (pos - neg) / (pos + neg)


# Any of these lets the model decide; with none of them a text is not conflict-related.
EVIDENCE = CONFLICT_SUBJECTS | {"sanctions", "power_state", "attack_weak", "violence_weak"}


def has_conflict_evidence(x: dict[str, float]) -> bool:
    """True when some title or body hit is conflict vocabulary (not only cues for other subjects)."""
    return any(k[2:] in EVIDENCE for k in x if k[:2] in {"t:", "b:"})


def feature_vector(t: _Zone, b: _Zone) -> dict[str, float]:
    """Log counts per feature group for title and body, and body densities per 100 words.

    No length feature on purpose: in the dev set short texts are mostly war headlines, and a
    model that learns "short means conflict" would flag every empty-handed brief.
    """
    x: dict[str, float] = {}
    for f, n in t.features.items():
        x["t:" + f] = math.log1p(n)
    per = 100.0 / max(b.words, 100)
    for f, n in b.features.items():
        x["b:" + f] = math.log1p(n)
        x["d:" + f] = min(n * per, 5.0)
    for name, zone in (("s:title", t), ("s:body", b)):
        share = _share(zone.features)
        if share is not None:
            x[name] = share
    return x


def _evidence(t: _Zone, b: _Zone, only: set[int] | None) -> tuple[str, ...]:
    out: list[str] = []
    for zone_name, zone in ((TITLE, t), (BODY, b)):
        merged: Counter[tuple[str, str]] = Counter()
        for (ci, surface, note), n in zone.surfaces.items():
            if only is None or ci in only:
                merged[(surface, note)] += n
        for (surface, note), n in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])):
            item = f"{zone_name}:{surface}"
            if n > 1:
                item += f" x{n}"
            if note:
                item += f" ({note})"
            out.append(item)
            if len(out) >= MAX_EVIDENCE:
                return tuple(out)
    return tuple(out)


@cache
def _cached(directory: str, version: str) -> Tagger:
    del version  # part of the key: a changed taxonomy loads afresh
    return Tagger.load(Path(directory))


def get_tagger(taxonomy_dir: str | Path | None = None) -> Tagger:
    """A process-wide tagger per taxonomy directory, rebuilt when the files' version changes."""
    from pipeline.tagging.taxonomy import compute_version, default_dir

    directory = Path(taxonomy_dir).resolve() if taxonomy_dir else default_dir()
    return _cached(str(directory), compute_version(directory))
