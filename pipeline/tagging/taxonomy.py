"""Load and check the taxonomy CSVs in seeds/taxonomy: concepts, surface terms, model weights."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Bump when matching or scoring code changes in a way that changes results.
CODE_VERSION = "4"

KINDS = ("topic", "event", "conflict", "actor", "place", "cue")
# File -> concept kind. Terms for every concept live in terms_<lang>.csv; entities also carry
# language-neutral aliases (names, transliterations) in their own file.
ENTITY_FILES = {
    "topics.csv": "topic",
    "events.csv": "event",
    "conflicts.csv": "conflict",
    "actors.csv": "actor",
    "places.csv": "place",
    "cues.csv": "cue",
}
MODEL_FILE = "model.csv"


class TaxonomyError(ValueError):
    """A taxonomy file is malformed: duplicate id, unknown parent or link, empty term."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Concept:
    """One thing the tagger can recognise: a topic, event type, theatre, actor, place or cue."""

    key: str  # "<kind>:<id>", e.g. "event:ceasefire", "topic:20000076"
    kind: str
    id: str
    name: str
    feature: str  # model feature group its hits count towards
    parent: str | None = None  # topics: parent IPTC code
    topics: tuple[str, ...] = ()  # IPTC codes a hit implies
    conflicts: tuple[str, ...] = ()  # theatre ids an actor/place/event links to
    mask: bool = False  # metaphor phrases: hide the words they cover, count only as negative cue


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    concept: str  # Concept.key
    text: str  # as written; a trailing * marks a stem inflected by rule
    lang: str  # language code for ending rules ("xx": script decides)
    source: str  # file it came from


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    weights: dict[str, float]
    bias: float
    threshold: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Taxonomy:
    directory: Path
    concepts: dict[str, Concept]
    terms: tuple[Term, ...]
    model: Model
    version: str


def default_dir() -> Path:
    """seeds/taxonomy of the checkout this package lives in."""
    return Path(__file__).resolve().parents[2] / "seeds" / "taxonomy"


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(line for line in fh if not line.startswith("#"))
        for lineno, row in enumerate(reader, start=2):
            if None in row:
                # A stray comma split the row: its tail would be silently lost.
                raise TaxonomyError(f"{path.name}:{lineno}: more fields than the header has")
            yield lineno, {k.strip(): (v or "").strip() for k, v in row.items()}


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


def taxonomy_files(directory: Path) -> list[Path]:
    """Every file that defines the taxonomy, in a stable order (what the version hashes)."""
    return sorted(p for p in directory.glob("*.csv") if p.is_file())


def compute_version(directory: Path) -> str:
    """Hash of the taxonomy files' names and bytes plus the code version."""
    digest = hashlib.sha256(f"code={CODE_VERSION}\n".encode())
    for path in taxonomy_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{CODE_VERSION}-{digest.hexdigest()[:12]}"


def _concept(kind: str, row: dict[str, str], where: str) -> Concept:
    ident = row.get("code") if kind == "topic" else row.get("id")
    if not ident:
        raise TaxonomyError(f"{where}: missing id")
    name = row.get("name", "")
    if not name:
        raise TaxonomyError(f"{where}: missing name")
    feature = row.get("feature", "")
    if not feature:
        raise TaxonomyError(f"{where}: missing feature")
    topics = _split(row.get("topics", ""))
    if kind == "topic":
        topics = (ident, *topics)
    return Concept(
        key=f"{kind}:{ident}",
        kind=kind,
        id=ident,
        name=name,
        feature=feature,
        parent=row.get("parent") or None,
        topics=topics,
        conflicts=_split(row.get("conflicts", "")),
        mask=row.get("mask", "") in {"1", "true", "yes"},
    )


def _lang_of(path: Path) -> str:
    return path.stem.removeprefix("terms_")


def load_taxonomy(directory: Path | None = None) -> Taxonomy:
    """Read and validate every CSV in the directory; raise TaxonomyError on the first problem."""
    directory = (directory or default_dir()).resolve()
    if not directory.is_dir():
        raise TaxonomyError(f"taxonomy directory not found: {directory}")
    concepts: dict[str, Concept] = {}
    terms: list[Term] = []
    for filename, kind in ENTITY_FILES.items():
        path = directory / filename
        if not path.exists():
            raise TaxonomyError(f"missing {path}")
        for lineno, row in _rows(path):
            where = f"{filename}:{lineno}"
            concept = _concept(kind, row, where)
            if concept.key in concepts:
                raise TaxonomyError(f"{where}: duplicate id {concept.id}")
            concepts[concept.key] = concept
            if "aliases" in row:
                aliases = tuple(a.strip() for a in row["aliases"].split("|"))
                if not all(aliases) or "*" in aliases:
                    raise TaxonomyError(f"{where}: empty alias for {concept.id}")
                terms.extend(
                    Term(concept=concept.key, text=a, lang="xx", source=filename) for a in aliases
                )
    for path in sorted(directory.glob("terms_*.csv")):
        lang = _lang_of(path)
        for lineno, row in _rows(path):
            where = f"{path.name}:{lineno}"
            key, raw = row.get("concept", ""), row.get("terms", "")
            if key not in concepts:
                raise TaxonomyError(f"{where}: unknown concept {key!r}")
            texts = raw.split("|")
            if any(not t.strip() or t.strip() == "*" for t in texts):
                raise TaxonomyError(f"{where}: empty term")
            terms.extend(
                Term(concept=key, text=t.strip(), lang=lang, source=path.name) for t in texts
            )
    _check_links(concepts)
    # A topic may be reached only through events that imply it (peace talks -> 20000076).
    implied = {f"topic:{code}" for c in concepts.values() if c.kind != "topic" for code in c.topics}
    termless = set(concepts) - {t.concept for t in terms} - implied
    if termless:
        raise TaxonomyError(f"concepts without any term: {sorted(termless)[:10]}")
    return Taxonomy(
        directory=directory,
        concepts=concepts,
        terms=tuple(terms),
        model=_load_model(directory / MODEL_FILE),
        version=compute_version(directory),
    )


def _check_links(concepts: dict[str, Concept]) -> None:
    for c in concepts.values():
        if c.kind == "topic" and c.parent and f"topic:{c.parent}" not in concepts:
            raise TaxonomyError(f"topic {c.id}: unknown parent {c.parent}")
        for code in c.topics:
            if f"topic:{code}" not in concepts:
                raise TaxonomyError(f"{c.key}: unknown topic {code}")
        for conflict in c.conflicts:
            if f"conflict:{conflict}" not in concepts:
                raise TaxonomyError(f"{c.key}: unknown conflict {conflict}")


def _load_model(path: Path) -> Model:
    if not path.exists():
        return Model(weights={}, bias=0.0, threshold=0.5)
    weights: dict[str, float] = {}
    bias, threshold = 0.0, 0.5
    for lineno, row in _rows(path):
        try:
            value = float(row["weight"])
        except (KeyError, ValueError) as exc:
            raise TaxonomyError(f"{path.name}:{lineno}: bad weight") from exc
        name = row.get("feature", "")
        if name == "__bias__":
            bias = value
        elif name == "__threshold__":
            threshold = value
        elif name:
            weights[name] = value
    return Model(weights=weights, bias=bias, threshold=threshold)
