"""The conflict tagger: lexicon hits -> feature counts -> linear score, plus tags and evidence."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from operator import mul
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.tagging.matcher import Hit, Matcher
from pipeline.tagging.normalize import prepare
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
    w.encode()
    for w in ("no", "not", "non", "without", "never", "nor", "нет", "не", "без", "ні", "жодних")
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


class TagResult(NamedTuple):
    """The tagger's verdict on one text (a NamedTuple, like Tag: built once per article)."""

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


# Weights are small sums of hit counts: a handful of values recur, and round() formats through
# decimal strings (a tenth of `_tags`). Bounded like the other caches here.
_SATURATED: dict[float, float] = {}


def _saturate(weight: float) -> float:
    value = _SATURATED.get(weight)
    if value is None:
        if len(_SATURATED) >= 10_000:
            _SATURATED.clear()
        value = _SATURATED[weight] = round(weight / (weight + 2.0), 4)
    return value


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _negated(text: bytes, start: int) -> bool:
    """True when one of the two words before `start` (a byte offset) is a negator."""
    words = text[max(0, start - 64) : start].split()
    return bool(words) and (words[-1] in NEGATORS or (len(words) > 1 and words[-2] in NEGATORS))


# A hit's evidence key: its matched words, plus "\0negated" or "\0metaphor" when it has a note.
# One string, not a (surface, note) tuple: sorting and hashing plain strings is several times
# cheaper, and "\0" sorts before any letter, so the order is that of (surface, note) tuples.
Key = str
Counts = dict[Key, int]  # hits per key


def _key(surface: str, note: str) -> Key:
    return f"{surface}\0{note}" if note else surface


@dataclass(slots=True)
class _Zone:
    """Hits of one zone (title or body) reduced to what scoring and tags need.

    Plain dicts, not Counters: Counter's `__missing__` is Python code, and these are updated
    once per distinct hit of every article.
    """

    features: dict[str, int]
    concepts: dict[int, int]  # hits per concept that weighs in tags (see Tagger._weighed)
    by_concept: dict[int, Counts]  # tagged concept -> hits per key
    surfaces: Counts  # every hit once, by key
    words: int
    cyrillic: int = 0  # letters in Cyrillic (U+0400-U+047F), for the script's model offsets
    letters: int = 0  # letters in all


class _Effect(NamedTuple):
    """What one hit on a plain automaton entry adds to a zone (built once per entry)."""

    feats: tuple[str, ...]  # feature group of every concept, metaphors included
    counted: tuple[int, ...]  # concepts that count towards tag weights (not masked, not inert)
    tagged: tuple[tuple[int, Key], ...]  # concepts that become tags, with their evidence key
    key: Key  # the hit as a whole, for the overall evidence


class _Info(NamedTuple):
    """What `_tags` needs of one concept, resolved once."""

    kind: str
    name: str
    id: str
    topics: tuple[str, ...]
    theatres: tuple[tuple[str, int], ...]  # theatre id, how many theatres share the weight
    entity: bool  # becomes an event/actor/place tag itself


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
        weights = self._model.weights
        groups = {name[2:] for name in weights if name[:2] in {"t:", "b:", "d:"}}
        self._weights = {
            f: (weights.get("t:" + f, 0.0), weights.get("b:" + f, 0.0), weights.get("d:" + f, 0.0))
            for f in groups
        }
        self._share_weights = (weights.get("s:title", 0.0), weights.get("s:body", 0.0))
        # Offsets for texts mostly in Cyrillic, fitted on Russian labelled text with the main
        # weights fixed ("cyr:" rows of model.csv; bench/eval_tagger.py fit-cyrillic).
        cyrillic = {k[4:]: v for k, v in weights.items() if k.startswith("cyr:")}
        self._cyrillic_bias = cyrillic.pop("__bias__", 0.0)
        self._cyrillic_weights = sorted(cyrillic.items())
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
            tagged: list[tuple[int, Key]] = []
            hit_note = ""
            for ci in (*exact, *inner):
                concept = self._concepts[ci]
                note = "metaphor" if concept.mask else ""
                feats.append(concept.feature)
                if note:
                    hit_note = note
                else:
                    if ci in self._weighed:
                        counted.append(ci)
                if ci in self._tagged:
                    tagged.append((ci, _key(surface, note)))
            effect = _Effect(tuple(feats), tuple(counted), tuple(tagged), _key(surface, hit_note))
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
        feature_count = features.get
        concept_count = concepts.get
        for entry_id, n in plain.items():
            feats, counted, tagged_pairs, key = effects[entry_id] or self._effect(entry_id)
            for feature in feats:
                features[feature] = feature_count(feature, 0) + n
            for ci in counted:
                concepts[ci] = concept_count(ci, 0) + n
            for ci, concept_key in tagged_pairs:
                counts = by_concept.get(ci)
                if counts is None:
                    by_concept[ci] = {concept_key: n}
                else:
                    # Plain entries have distinct surfaces: nothing to add to yet.
                    counts[concept_key] = n
            surfaces[key] = n
        if placed:
            self._place(prepared, placed, features, concepts, by_concept, surfaces)
        cyrillic = 0
        if not prepared.isascii():
            # UTF-8 lead bytes of U+0400-U+047F: one per Cyrillic letter of Russian/Ukrainian.
            cyrillic = prepared.count(b"\xd0") + prepared.count(b"\xd1")
        letters = len(prepared) - 2 * (n_words + 1) - cyrillic  # 2-byte letters count once
        return _Zone(features, concepts, by_concept, surfaces, n_words, cyrillic, letters)

    def _place(
        self,
        prepared: bytes,
        placed: list[Hit],
        features: dict[str, int],
        concepts: dict[int, int],
        by_concept: dict[int, Counts],
        surfaces: Counts,
    ) -> None:
        """Add stem and positional hits, deciding negation from the words before each."""
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
                if not note and ci in self._weighed:
                    _add(concepts, ci, 1)
                hit_note = hit_note or note
                if ci in tagged:
                    _add(by_concept.setdefault(ci, {}), _key(surface, note), 1)
            _add(surfaces, _key(surface, hit_note), 1)

    def features(self, title: str | None, text: str | None) -> dict[str, float]:
        """Model inputs for a text (also used offline to fit the weights)."""
        t = self._zone(title or "")
        b = self._zone(text or "")
        return feature_vector(t, b)

    def _score(self, x: dict[str, float]) -> float:
        return _sigmoid(self._model.bias + self._dot(x))

    def _dot(self, x: dict[str, float]) -> float:
        w = self._model.weights
        total: float = sum(map(mul, x.values(), map(w.get, x.keys(), repeat(0.0))))
        return total

    def _z(self, t: _Zone, b: _Zone) -> float:
        """The model's log-odds for a text: bias + weights, plus the script's offsets if any."""
        if self._cyrillic_weights and is_cyrillic(t, b):
            # The offsets need the feature dict: build it once and sum the main weights over it
            # too (same sum as `_linear`), rather than summing twice.
            x = feature_vector(t, b)
            return self._model.bias + self._dot(x) + self._cyrillic_offset(x)
        return self._model.bias + self._linear(t, b)

    def _cyrillic_offset(self, x: dict[str, float]) -> float:
        return self._cyrillic_bias + sum(w * x.get(k, 0.0) for k, w in self._cyrillic_weights)

    def model_inputs(
        self, title: str | None, text: str | None
    ) -> tuple[float, dict[str, float], bool]:
        """For offline fitting: log-odds without script offsets, the features, and the script."""
        t = self._zone(title or "")
        b = self._zone(text or "")
        x = feature_vector(t, b)
        return self._model.bias + self._dot(x), x, is_cyrillic(t, b)

    def _linear(self, t: _Zone, b: _Zone) -> float:
        """`_score`'s sum over `feature_vector(t, b)`, in the same order, without building it.

        Same values, same additions in the same order (features without a weight add 0.0),
        so the score is bit-identical; it saves building a 40-key dict per article.
        """
        weights = self._weights
        acc = 0.0
        weighted: dict[str, float] = {}
        log1p = _LOG1P  # inlined `_log1p`: counts >= 256 are rare enough for math.log1p
        for f, n in t.features.items():
            acc += (weights.get(f) or _NO_WEIGHTS)[0] * (log1p[n] if n < 256 else math.log1p(n))
            weighted[f] = TITLE_WEIGHT * n
        for f, n in b.features.items():
            acc += (weights.get(f) or _NO_WEIGHTS)[1] * (log1p[n] if n < 256 else math.log1p(n))
            w = weighted.get(f)
            weighted[f] = 0.0 + n if w is None else w + n
        per = 100.0 / max(t.words + b.words, 100)
        for f, hits in weighted.items():
            acc += (weights.get(f) or _NO_WEIGHTS)[2] * min(hits * per, 5.0)
        share = _share(t.features)
        if share is not None:
            acc += self._share_weights[0] * share
        share = _share(b.features)
        if share is not None:
            acc += self._share_weights[1] * share
        return acc

    def tag(self, title: str | None, text: str | None, language: str | None = None) -> TagResult:
        """Tag one text. `language` is accepted for the record: every lexicon is always matched."""
        del language  # headlines mix scripts; all languages' terms are in one automaton
        t = self._zone(title or "")
        b = self._zone(text or "")
        score = _sigmoid(self._z(t, b))
        if not _has_evidence(t, b):
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
                memo[ci] = ev = _concept_evidence(t, b, ci)
                tags.append(Tag(kind, name, ident, _saturate(w), ev))
        topic_names = self._topic_names
        for code, w in topic_weight.items():
            tags.append(
                Tag(
                    "topic",
                    topic_names[code],
                    code,
                    _saturate(w),
                    _evidence(t, b, topic_sources[code], memo),
                )
            )
        if is_conflict and theatre_weight:
            best = max(theatre_weight.values())
            for conflict, w in theatre_weight.items():
                if w >= 1.5 and w >= 0.3 * best:
                    ev = _evidence(t, b, theatre_sources[conflict], memo)
                    name = self._conflict_names[conflict]
                    tags.append(Tag("conflict", name, conflict, _saturate(w / 2), ev))
        tags.sort(key=_tag_order)
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


_SIDE = {f: 1 for f in CONFLICT_SUBJECTS} | {f: -1 for f in OTHER_SUBJECTS}
_NO_WEIGHTS = (0.0, 0.0, 0.0)


def _share(features: dict[str, int]) -> float | None:
    """(conflict hits - other-subject hits) / both, or None without either."""
    pos = neg = 0
    side = _SIDE.get
    for f, n in features.items():
        s = side(f)
        if s == 1:
            pos += n
        elif s == -1:
            neg += n
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


def is_cyrillic(t: _Zone, b: _Zone) -> bool:
    """True when most letters of title and body together are Cyrillic."""
    letters = t.letters + b.letters
    return letters > 0 and 2 * (t.cyrillic + b.cyrillic) > letters


def _has_evidence(t: _Zone, b: _Zone) -> bool:
    """`has_conflict_evidence(feature_vector(t, b))` without building the vector."""
    return not (EVIDENCE.isdisjoint(t.features) and EVIDENCE.isdisjoint(b.features))


# feature group -> its title, body and density feature names (built once per group).
_NAMES: dict[str, tuple[str, str, str]] = {}
_LOG1P = [math.log1p(n) for n in range(256)]


def _names(feature: str) -> tuple[str, str, str]:
    names = _NAMES.get(feature)
    if names is None:
        names = _NAMES[feature] = ("t:" + feature, "b:" + feature, "d:" + feature)
    return names


def _log1p(n: int) -> float:
    return _LOG1P[n] if n < 256 else math.log1p(n)


def feature_vector(t: _Zone, b: _Zone) -> dict[str, float]:
    """Log counts per feature group for title and body, and densities per 100 words.

    No length feature on purpose: in the dev set short texts are mostly war headlines, and a
    model that learns "short means conflict" would flag every empty-handed brief.
    """
    x: dict[str, float] = {}
    weighted: dict[str, float] = {}
    for f, n in t.features.items():
        x[(_NAMES.get(f) or _names(f))[0]] = _log1p(n)
        weighted[f] = TITLE_WEIGHT * n
    for f, n in b.features.items():
        x[(_NAMES.get(f) or _names(f))[1]] = _log1p(n)
        w = weighted.get(f)
        weighted[f] = 0.0 + n if w is None else w + n
    # Density over the whole text, title hits counted TITLE_WEIGHT times: a hit in a one-line
    # body must not outweigh the same hit in the title.
    per = 100.0 / max(t.words + b.words, 100)
    for f, hits in weighted.items():
        x[_NAMES[f][2]] = min(hits * per, 5.0)
    for name, zone in (("s:title", t), ("s:body", b)):
        share = _share(zone.features)
        if share is not None:
            x[name] = share
    return x


_ENTITY_KINDS = frozenset({"event", "actor", "place"})
_KIND_ORDER = {"topic": 0, "event": 1, "conflict": 2, "actor": 3, "place": 4}


def _tag_order(tag: Tag) -> tuple[int, float, str]:
    return (_KIND_ORDER[tag.kind], -tag.score, tag.value)


# Evidence item of a single hit per zone and key ("body:war (negated)"), so that the common
# case is a dict lookup, not string formatting. Bounded: cleared when it grows large.
_ITEMS: dict[str, dict[Key, str]] = {TITLE: {}, BODY: {}}
_ITEMS_MAX = 50_000  # per zone; ~10 MB at most


def _item(zone_name: str, key: Key, n: int) -> str:
    """ "zone:surface", then " xN" when n > 1, then " (note)" when the hit has one."""
    if n == 1:
        items = _ITEMS[zone_name]
        item = items.get(key)
        if item is None:
            if len(items) >= _ITEMS_MAX:
                items.clear()
            item = items[key] = _format_item(zone_name, key, 1)
        return item
    return _format_item(zone_name, key, n)


def _format_item(zone_name: str, key: Key, n: int) -> str:
    surface, _, note = key.partition("\0")
    item = f"{zone_name}:{surface}"
    if n > 1:
        item += f" x{n}"
    if note:
        item += f" ({note})"
    return item


def _ranked(counts: Counts) -> list[Key]:
    """Keys, most frequent first, ties in key order: two stable C-level sorts, no lambda."""
    keys = sorted(counts)
    if len(keys) > 1:
        keys.sort(key=counts.__getitem__, reverse=True)
    return keys


def _concept_evidence(t: _Zone, b: _Zone, ci: int) -> tuple[str, ...]:
    """`_evidence(t, b, [ci])`, the common case, without merging."""
    out: list[str] = []
    for zone_name, zone in ((TITLE, t), (BODY, b)):
        counts = zone.by_concept.get(ci)
        if not counts:
            continue
        if len(counts) == 1:  # most concepts are one term in a zone
            for key, n in counts.items():
                out.append(_item(zone_name, key, n))
        else:
            for key in _ranked(counts):
                out.append(_item(zone_name, key, counts[key]))
    return tuple(out) if len(out) <= MAX_EVIDENCE else tuple(out[:MAX_EVIDENCE])


def _evidence(
    t: _Zone,
    b: _Zone,
    only: list[int] | None,
    memo: dict[int, tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """Items "zone:surface [xN] [(note)]", title first, most frequent first.

    `only`: the concepts whose hits count (None: every hit); `memo` caches single concepts.
    """
    if only is not None and len(only) == 1:
        ci = only[0]
        if memo is None:
            return _concept_evidence(t, b, ci)
        found = memo.get(ci)
        if found is None:
            found = memo[ci] = _concept_evidence(t, b, ci)
        return found
    out: list[str] = []
    for zone_name, zone in ((TITLE, t), (BODY, b)):
        merged: Counts
        if only is None:
            merged = zone.surfaces
        else:
            merged = {}
            for ci in only:
                counts = zone.by_concept.get(ci)
                if counts:
                    for key, n in counts.items():
                        merged[key] = merged.get(key, 0) + n
        items = _ITEMS[zone_name]
        for key in _ranked(merged):
            n = merged[key]
            # Inline the cache hit of `_item`: a third of evidence time was the call.
            item = items.get(key) if n == 1 else None
            out.append(item if item is not None else _item(zone_name, key, n))
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
