"""One zone (title or body) of a text: lexicon hits reduced to counts per feature and concept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from pipeline.tagging.matcher import Hit, Matcher
from pipeline.tagging.normalize import prepare
from pipeline.tagging.taxonomy import Concept

# Words that turn the next term around ("no casualties", "без жертв", "non-violent").
NEGATORS = frozenset(
    w.encode()
    for w in ("no", "not", "non", "without", "never", "nor", "нет", "не", "без", "ні", "жодних")
)
# Features a negator moves into the "negated" feature (event words like "ceasefire" keep counting:
# "no ceasefire violations" is still about the conflict).
NEGATABLE = frozenset({"violence", "casualties", "war", "attack"})

# A hit's evidence key: its matched words, plus "\0negated" or "\0metaphor" when it has a note.
# One string, not a (surface, note) tuple: sorting and hashing plain strings is several times
# cheaper, and "\0" sorts before any letter, so the order is that of (surface, note) tuples.
Key = str
Counts = dict[Key, int]  # hits per key


def make_key(surface: str, note: str) -> Key:
    """The evidence key of a hit: its surface, plus its note after a NUL when it has one."""
    return f"{surface}\0{note}" if note else surface


@dataclass(slots=True)
class Zone:
    """Hits of one zone (title or body) reduced to what scoring and tags need.

    Plain dicts, not Counters: Counter's `__missing__` is Python code, and these are updated
    once per distinct hit of every article.
    """

    features: dict[str, int]
    concepts: dict[int, int]  # hits per concept that weighs in tags (see ZoneReader.weighed)
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


def _negated(text: bytes, start: int) -> bool:
    """True when one of the two words before `start` (a byte offset) is a negator."""
    words = text[max(0, start - 64) : start].split()
    return bool(words) and (words[-1] in NEGATORS or (len(words) > 1 and words[-2] in NEGATORS))


def _add(counts: dict[Any, int], key: Any, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


class ZoneReader:
    """Matches one lexicon against a zone's text and counts its hits per feature and concept.

    `concepts` is the taxonomy's concept list (indexes are concept ids everywhere); `tagged`
    are the concepts that become tags, `weighed` those whose hit counts tags need.
    """

    def __init__(
        self,
        matcher: Matcher,
        *,
        concepts: list[Concept],
        tagged: frozenset[int],
        weighed: frozenset[int],
    ) -> None:
        self.matcher = matcher
        self._concepts = concepts
        self._tagged = tagged
        self._weighed = weighed
        self._effects: list[_Effect | None] = [None] * len(matcher.entries)

    def _effect(self, entry_id: int) -> _Effect:
        """What a hit on a plain automaton entry adds to a zone (built once per entry)."""
        effect = self._effects[entry_id]
        if effect is None:
            surface, exact, _, inner = self.matcher.entries[entry_id]
            feats: list[str] = []
            counted: list[int] = []
            tagged: list[tuple[int, Key]] = []
            hit_note = ""
            for ci in (*exact, *inner):
                concept = self._concepts[ci]
                # A mask's note is its feature: "metaphor", or "ordinary" for common words.
                note = concept.feature if concept.mask else ""
                feats.append(concept.feature)
                if note:
                    hit_note = note
                else:
                    if ci in self._weighed:
                        counted.append(ci)
                if ci in self._tagged:
                    tagged.append((ci, make_key(surface, note)))
            effect = _Effect(
                tuple(feats), tuple(counted), tuple(tagged), make_key(surface, hit_note)
            )
            self._effects[entry_id] = effect
        return effect

    def zone(self, text: str) -> Zone:
        """The zone of one text (title or body)."""
        return self.read(*prepare(text)) if text else self.read(b"", 0)

    def read(self, prepared: bytes, n_words: int) -> Zone:
        """The zone of a text already prepared (`normalize.prepare`; b"" for no text)."""
        features: dict[str, int] = {}
        concepts: dict[int, int] = {}
        by_concept: dict[int, Counts] = {}
        surfaces: Counts = {}
        if not prepared:
            return Zone(features, concepts, by_concept, surfaces, 0)
        plain, placed = self.matcher.scan(prepared)
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
        return Zone(features, concepts, by_concept, surfaces, n_words, cyrillic, letters)

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
                    note = feature
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
                    _add(by_concept.setdefault(ci, {}), make_key(surface, note), 1)
            _add(surfaces, make_key(surface, hit_note), 1)
