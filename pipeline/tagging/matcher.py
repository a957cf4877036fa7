"""Multi-pattern matching over normalised text: one Aho-Corasick automaton for every language."""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from pipeline.tagging import morph
from pipeline.tagging.normalize import normalize
from pipeline.tagging.taxonomy import Term

_TAIL = re.compile(r"[^\W\d_]*")


@dataclass(frozen=True, slots=True)
class Hit:
    """One accepted match: span in the normalised text and the concepts it stands for."""

    start: int
    end: int
    concepts: tuple[int, ...]


def _expand(text: str, lang: str) -> list[str]:
    """Keys for a normalised term: stems inside multiword terms are inflected by rule."""
    keys = [""]
    for word in text.split(" "):
        forms = morph.inner_forms(lang, word[:-1]) if word.endswith("*") else (word,)
        keys = [f"{k} {f}" if k else f for k in keys for f in forms]
    return [k for k in keys if k and "*" not in k]


class Matcher:
    """Finds lexicon terms at word boundaries; leftmost-longest wins where matches overlap."""

    def __init__(self, terms: list[tuple[Term, int]]) -> None:
        exact: dict[str, set[int]] = {}
        stems: dict[str, set[tuple[int, str]]] = {}
        for term, concept in terms:
            text = normalize(term.text)
            lang = term.lang if term.lang != "xx" else morph.script_lang(text)
            is_stem = text.endswith("*")
            for key in _expand(text.rstrip("*"), lang):
                if is_stem:
                    stems.setdefault(key, set()).add((concept, lang))
                else:
                    exact.setdefault(key, set()).add(concept)
        automaton = ahocorasick.Automaton()
        for key in set(exact) | set(stems):
            automaton.add_word(
                key,
                (
                    len(key),
                    tuple(sorted(exact.get(key, ()))),
                    tuple(sorted(stems.get(key, ()))),
                ),
            )
        automaton.make_automaton()
        self._automaton = automaton
        self.size = len(automaton)

    def find(self, text: str) -> list[Hit]:
        """Accepted, non-overlapping hits in normalised `text`, left to right."""
        if not text:
            return []
        n = len(text)
        found: list[tuple[int, int, tuple[int, ...]]] = []
        for end, (length, exact, stems) in self._automaton.iter(text):
            start = end - length + 1
            if start > 0 and text[start - 1].isalnum():
                continue
            after = end + 1
            if after < n and text[after].isalnum():
                if not stems:
                    continue
                m = _TAIL.match(text, after)
                assert m is not None
                rest = m.group()
                if after + len(rest) < n and text[after + len(rest)].isalnum():
                    continue  # digits glued to the word
                ids = tuple(c for c, lang in stems if morph.allows(lang, rest))
                if ids:
                    found.append((start, m.end(), ids))
            else:
                ids = exact + tuple(c for c, _ in stems)
                found.append((start, after, ids))
        if not found:
            return []
        found.sort(key=lambda h: (h[0], -h[1]))
        hits: list[Hit] = []
        last_end = -1
        for start, end, ids in found:
            if start >= last_end:
                hits.append(Hit(start, end, ids))
                last_end = end
        return hits
