"""What the tagger returns: a verdict with tags and evidence (NamedTuples: built per article)."""

from __future__ import annotations

from typing import Any, NamedTuple


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
