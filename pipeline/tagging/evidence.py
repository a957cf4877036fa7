"""Evidence strings ("title:ceasefire", "body:war x3 (negated)") and tag-score helpers."""

from __future__ import annotations

from pipeline.tagging.result import Tag
from pipeline.tagging.zones import Counts, Key, Zone

TITLE, BODY = "title", "body"
MAX_EVIDENCE = 24
_KIND_ORDER = {"topic": 0, "event": 1, "conflict": 2, "actor": 3, "place": 4}

# Weights are small sums of hit counts: a handful of values recur, and round() formats through
# decimal strings (a tenth of tag building). Bounded like the other caches here.
_SATURATED: dict[float, float] = {}

# Evidence item of a single hit per zone and key ("body:war (negated)"), so that the common
# case is a dict lookup, not string formatting. Bounded: cleared when it grows large.
_ITEMS: dict[str, dict[Key, str]] = {TITLE: {}, BODY: {}}
_ITEMS_MAX = 50_000  # per zone; ~10 MB at most


def saturate(weight: float) -> float:
    """A tag's score from its weight: w / (w + 2), rounded to 4 places."""
    value = _SATURATED.get(weight)
    if value is None:
        if len(_SATURATED) >= 10_000:
            _SATURATED.clear()
        value = _SATURATED[weight] = round(weight / (weight + 2.0), 4)
    return value


def tag_order(tag: Tag) -> tuple[int, float, str]:
    """Sort key of tags: by kind, best score first, then by name."""
    return (_KIND_ORDER[tag.kind], -tag.score, tag.value)


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


def concept_evidence(t: Zone, b: Zone, ci: int) -> tuple[str, ...]:
    """`evidence(t, b, [ci])`, the common case, without merging."""
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


def evidence(
    t: Zone,
    b: Zone,
    only: list[int] | None,
    memo: dict[int, tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """Items "zone:surface [xN] [(note)]", title first, most frequent first.

    `only`: the concepts whose hits count (None: every hit); `memo` caches single concepts.
    """
    if only is not None and len(only) == 1:
        ci = only[0]
        if memo is None:
            return concept_evidence(t, b, ci)
        found = memo.get(ci)
        if found is None:
            found = memo[ci] = concept_evidence(t, b, ci)
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
