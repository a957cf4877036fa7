"""Multi-pattern matching over prepared text: one Aho-Corasick automaton for every language."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import ahocorasick_rs

from pipeline.tagging import morph
from pipeline.tagging.normalize import normalize
from pipeline.tagging.taxonomy import Term

SEP = "  "  # words are joined by two spaces so that adjacent keys never share a separator
_KEY = itemgetter(0)


def _count_py(counts: dict[Any, int], keys: Iterable[Any]) -> None:
    for key in keys:
        counts[key] = counts.get(key, 0) + 1


# The C loop behind Counter.update, without Counter.__init__'s Python-level checks (half the
# cost of counting a text's hits); _count_py is the same thing in Python.
count_elements: Callable[[dict[Any, int], Iterable[Any]], None] = getattr(
    collections, "_count_elements", _count_py
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A match that needs its place (stem, positional): matched words and their concepts."""

    start: int  # byte offset of the term's first letter in the padded text
    surface: str  # matched words, single-spaced
    concepts: tuple[int, ...]


def _expand(text: str, lang: str) -> list[str]:
    """Keys for a normalised term: stems inside multiword terms are inflected by rule.

    Arabic terms also take the proclitics written onto their first word (morph.arabic_forms).
    """
    keys = [""]
    for i, word in enumerate(text.split(" ")):
        forms = morph.inner_forms(lang, word[:-1]) if word.endswith("*") else (word,)
        if lang == "ar" and i == 0:
            forms = tuple(f for form in forms for f in morph.arabic_forms(form))
        keys = [f"{k} {f}" if k else f for k in keys for f in forms]
    return [k for k in keys if k and "*" not in k]


def _normalize_term(text: str) -> tuple[str, bool | str]:
    """A term's normalised words (inner `*` kept) and whether its last word is a stem.

    A trailing `+` marks an open stem (morph.OPEN: any rest of the word, for compounds).
    """
    if text.endswith("+"):
        return normalize(text[:-1]), morph.OPEN
    parts = [normalize(w.rstrip("*")) + ("*" if w.endswith("*") else "") for w in text.split()]
    joined = " ".join(p for p in parts if p.strip("*"))
    return joined.rstrip("*"), joined.endswith("*")


# One automaton entry: surface, exact concepts, (concept, lang) stems, nested concepts.
Entry = tuple[str, tuple[int, ...], tuple[tuple[int, str], ...], tuple[int, ...]]


class Matcher:
    """Finds lexicon terms at word boundaries, leftmost-longest, in one pass in compiled code.

    Keys are padded with spaces (" war " for a word, " войн" for a stem) and the text is
    prepared as words with two spaces between them (see `pad`), so the automaton only reports
    matches that start at a word boundary, adjacent terms never compete for one space, and the
    automaton resolves overlaps (leftmost-longest): "price war" hides "war", "peace talks" is
    one hit. A stem's match is accepted when the rest of its word is an ending its language
    allows (morph.py). Entities inside a longer term ("talks in Istanbul") are reported with it
    (`nested`), unless the longer term is a mask (metaphor).
    """

    def __init__(
        self,
        terms: list[tuple[Term, int]],
        *,
        nested: frozenset[int] = frozenset(),
        masks: frozenset[int] = frozenset(),
        positional: frozenset[int] = frozenset(),
    ) -> None:
        exact: dict[str, set[int]] = {}
        stems: dict[str, set[tuple[int, str]]] = {}
        for term, concept in terms:
            text, is_stem = _normalize_term(term.text)
            lang = term.lang if term.lang != "xx" else morph.script_lang(text)
            for key in _expand(text, lang):
                if is_stem == morph.OPEN:
                    stems.setdefault(key, set()).add((concept, morph.OPEN))
                elif is_stem and lang in morph.CLOSED_ENDINGS:
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
        keys: list[bytes] = []
        self.entries: list[Entry] = []
        # Entries whose hits need Python at match time: stems (ending check) and positional
        # concepts (their place decides negation). Every other hit is only counted.
        special: set[int] = set()
        for key, concepts in exact.items():
            if concepts & masks:
                # A mask listed with the very same words as a term overrides it ("kabul" is
                # "accepted" in Turkish, not the Afghan capital).
                concepts = concepts & masks
            inner: tuple[int, ...] = ()
            if " " in key and not (concepts & masks):
                inner = _nested_entities(key, entity_exact, entity_stems, concepts)
            if concepts & positional:
                special.add(len(self.entries))
            self.entries.append((key, tuple(sorted(concepts)), (), inner))
            keys.append(f" {key.replace(' ', SEP)} ".encode())
        for key, pairs in stems.items():
            special.add(len(self.entries))
            self.entries.append((key, (), tuple(sorted(pairs)), ()))
            keys.append(f" {key.replace(' ', SEP)}".encode())
        self._special = frozenset(special)
        # Rust's aho-corasick over UTF-8 bytes, leftmost-longest, contiguous NFA: about twice
        # as fast as pyahocorasick's iter_long here, and a true leftmost-longest (iter_long can
        # miss a match that starts inside a longer failed one: " in  a  coup ").
        self._automaton = ahocorasick_rs.BytesAhoCorasick(
            keys,
            matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )
        self.size = len(keys)

    def scan(self, padded: bytes) -> tuple[dict[int, int], list[Hit]]:
        """Hit counts of plain entries, and placed hits (stems, positional concepts)."""
        hits = self._automaton.find_matches_as_indexes(padded)
        counts: dict[int, int] = {}
        count_elements(counts, map(_KEY, hits))  # counted in C; nearly every hit is plain
        special = self._special.intersection(counts)
        if not special:
            return counts, []
        placed: list[Hit] = []
        entries = self.entries
        for key, start, stop in [hit for hit in hits if hit[0] in special]:
            surface, exact, stems, inner = entries[key]
            if stems:
                word_end = padded.find(b" ", stop)
                rest = padded[stop:word_end].decode("utf-8", "replace")
                ids = tuple(c for c, lang in stems if morph.allows(lang, rest))
                if ids:
                    placed.append(Hit(start + 1, surface + rest, ids))
                continue
            placed.append(Hit(start + 1, surface, exact))
            if inner:
                placed.append(Hit(start + 1, surface, inner))
        for key in special:
            del counts[key]
        return counts, placed

    def find(self, padded: bytes) -> list[Hit]:
        """Every accepted hit as a Hit (plain ones without a meaningful offset)."""
        counts, placed = self.scan(padded)
        hits = list(placed)
        for entry_id, n in counts.items():
            surface, exact, _, inner = self.entries[entry_id]
            for _ in range(n):
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
