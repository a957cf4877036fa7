"""Multi-pattern matching over normalised text: one Aho-Corasick automaton for every language."""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick_rs

from pipeline.tagging import morph
from pipeline.tagging.normalize import normalize, words
from pipeline.tagging.taxonomy import Term

SEP = "  "  # words are joined by two spaces so that adjacent keys never share a separator


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted match: the matched words and the concepts they stand for."""

    start: int  # offset in the prepared text (see `prepare`)
    surface: str  # matched words, single-spaced
    concepts: tuple[int, ...]


def prepare(text: str) -> tuple[str, int]:
    """Text as the automaton reads it ("  w1  w2  ...  ") and its word count."""
    ws = words(text)
    return f"{SEP}{SEP.join(ws)}{SEP}", len(ws)


def _expand(text: str, lang: str) -> list[str]:
    """Keys for a normalised term: stems inside multiword terms are inflected by rule."""
    keys = [""]
    for word in text.split(" "):
        forms = morph.inner_forms(lang, word[:-1]) if word.endswith("*") else (word,)
        keys = [f"{k} {f}" if k else f for k in keys for f in forms]
    return [k for k in keys if k and "*" not in k]


def _normalize_term(text: str) -> tuple[str, bool]:
    """A term's normalised words (inner `*` kept) and whether its last word is a stem."""
    parts = [normalize(w.rstrip("*")) + ("*" if w.endswith("*") else "") for w in text.split()]
    joined = " ".join(p for p in parts if p.strip("*"))
    return joined.rstrip("*"), joined.endswith("*")


# One automaton entry: surface, exact concepts, (concept, lang) stems, nested concepts.
Entry = tuple[str, tuple[int, ...], tuple[tuple[int, str], ...], tuple[int, ...]]


class Matcher:
    """Finds lexicon terms at word boundaries, leftmost-longest, in one pass in C.

    Keys are padded with spaces (" war " for a word, " войн" for a stem) and the text is
    prepared as space-padded words, so the automaton only reports matches that start at a word
    boundary, and the automaton resolves overlaps (leftmost-longest): "price war"
    hides "war", "peace talks" is one hit. A stem's match is accepted when the rest of its word
    is an ending its language allows (morph.py). Entities inside a longer term ("talks in
    Istanbul") are reported with it (`nested`), unless the longer term is a mask (metaphor).
    """

    def __init__(
        self,
        terms: list[tuple[Term, int]],
        *,
        nested: frozenset[int] = frozenset(),
        masks: frozenset[int] = frozenset(),
        positional: frozenset[int] = frozenset(),
    ) -> None:
        # `positional`: concepts whose hits need their place in the text (negation check).
        self._positional = positional
        exact: dict[str, set[int]] = {}
        stems: dict[str, set[tuple[int, str]]] = {}
        for term, concept in terms:
            text, is_stem = _normalize_term(term.text)
            lang = term.lang if term.lang != "xx" else morph.script_lang(text)
            for key in _expand(text, lang):
                if is_stem and lang in morph.CLOSED_ENDINGS:
                    # Few endings (English, generic Latin): list the forms, no check at match time.
                    for ending in morph.CLOSED_ENDINGS[lang]:
                        exact.setdefault(key + ending, set()).add(concept)
                elif is_stem:
                    stems.setdefault(key, set()).add((concept, lang))
                else:
                    exact.setdefault(key, set()).add(concept)
        entity_exact = {k: {c for c in v if c in nested} for k, v in exact.items()}
        entity_exact = {k: v for k, v in entity_exact.items() if v}
        entity_stems = {k: {(c, lang) for c, lang in v if c in nested} for k, v in stems.items()}
        entity_stems = {k: v for k, v in entity_stems.items() if v}
        keys: list[str] = []
        self._values: list[int] = []
        self.entries: list[Entry] = []
        self.lengths: list[int] = []  # per entry: length of its automaton key
        for key, concepts in exact.items():
            inner: tuple[int, ...] = ()
            if " " in key and not (concepts & masks):
                inner = _nested_entities(key, entity_exact, entity_stems, concepts)
            self.entries.append((key, tuple(sorted(concepts)), (), inner))
            entry_id = len(self.entries) - 1
            # Plain entries are stored as their id, placed ones as -(id + 1): `scan` splits the
            # hits with two comprehensions instead of a Python loop over every hit.
            value = -(entry_id + 1) if concepts & self._positional else entry_id
            self.lengths.append(len(key) + 2)
            keys.append(f" {key.replace(' ', SEP)} ")
            self._values.append(value)
        for key, pairs in stems.items():
            self.entries.append((key, (), tuple(sorted(pairs)), ()))
            self.lengths.append(len(key.replace(" ", SEP)) + 1)
            keys.append(f" {key.replace(' ', SEP)}")
            self._values.append(-len(self.entries))
        # Rust's aho-corasick, leftmost-longest, contiguous NFA: about twice as fast as
        # pyahocorasick's iter_long here, and a true leftmost-longest (iter_long can miss a
        # match that starts inside a longer failed one: " in  a  coup ").
        self._automaton = ahocorasick_rs.AhoCorasick(
            keys,
            matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )
        self.size = len(keys)

    def scan(self, prepared: str) -> tuple[list[int], list[Hit]]:
        """Entry ids of plain hits (counted, not placed), and placed hits (stems, positional)."""
        values = self._values
        hits = self._automaton.find_matches_as_indexes(prepared)
        plain = [values[key] for key, _, _ in hits if values[key] >= 0]
        if len(plain) == len(hits):
            return plain, []
        placed: list[Hit] = []
        entries, lengths = self.entries, self.lengths
        for key, _, stop in hits:
            value = values[key]
            if value >= 0:
                continue
            end = stop - 1  # last character of the match
            entry_id = -value - 1
            surface, exact, stems, inner = entries[entry_id]
            start = end - lengths[entry_id] + 2  # first letter of the term
            if stems:
                word_end = prepared.find(" ", end + 1)
                rest = prepared[end + 1 : word_end]
                ids = tuple(c for c, lang in stems if morph.allows(lang, rest))
                if ids:
                    placed.append(Hit(start, surface + rest, ids))
                continue
            placed.append(Hit(start, surface, exact))
            if inner:
                placed.append(Hit(start, surface, inner))
        return plain, placed

    def find(self, prepared: str) -> list[Hit]:
        """Every accepted hit as a Hit (plain ones without a meaningful offset)."""
        plain, placed = self.scan(prepared)
        hits = list(placed)
        for entry_id in plain:
            surface, exact, _, inner = self.entries[entry_id]
            hits.append(Hit(-1, surface, exact))
            if inner:
                hits.append(Hit(-1, surface, inner))
        return hits


def _nested_entities(
    key: str,
    entity_exact: dict[str, set[int]],
    entity_stems: dict[str, set[tuple[int, str]]],
    own: set[int],
) -> tuple[int, ...]:
    """Entity concepts named by some run of words inside a multiword key."""
    ws = key.split(" ")
    found: set[int] = set()
    for i in range(len(ws)):
        for j in range(i + 1, len(ws) + 1):
            if j - i == len(ws):
                continue
            found |= entity_exact.get(" ".join(ws[i:j]), set())
        word = ws[i]
        for cut in range(3, len(word) + 1):
            for concept, lang in entity_stems.get(word[:cut], ()):
                if morph.allows(lang, word[cut:]):
                    found.add(concept)
    return tuple(sorted(found - own))
