"""Precision, recall and F1 of `is_conflict` on labelled rows: overall, per source and language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.tagging.tagger import Tagger


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


def _figures(tp: int, fp: int, fn: int, tn: int) -> dict[str, float | int | None]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is not None and recall is not None and precision + recall > 0:
        f1: float | None = 2 * precision * recall / (precision + recall)
    elif tp + fn == 0:
        f1 = None  # no positives: only the false-positive rate means anything
    else:
        f1 = 0.0
    negatives = fp + tn
    return {
        "n": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": None if precision is None else round(precision, 4),
        "recall": None if recall is None else round(recall, 4),
        "f1": None if f1 is None else round(f1, 4),
        "fp_rate": round(fp / negatives, 4) if negatives else None,
        "accuracy": round((tp + tn) / (tp + fp + fn + tn), 4) if tp + fp + fn + tn else None,
    }


def score_predictions(
    pairs: Iterable[tuple[str, bool, bool]],
) -> dict[str, Any]:
    """Figures from (source, label, predicted) triples: overall and per source."""
    counts = _count(pairs)
    overall = _figures(*counts.pop("__all__", [0, 0, 0, 0]))
    return {
        "overall": overall,
        "by_source": {source: _figures(*c) for source, c in sorted(counts.items())},
    }


def _count(pairs: Iterable[tuple[str, bool, bool]]) -> dict[str, list[int]]:
    """[tp, fp, fn, tn] per group, and for all rows under "__all__"."""
    counts: dict[str, list[int]] = {}
    for group, label, predicted in pairs:
        for key in ("__all__", group):
            c = counts.setdefault(key, [0, 0, 0, 0])
            index = (0 if predicted else 2) if label else (1 if predicted else 3)
            c[index] += 1
    return counts


def _grouped(pairs: list[tuple[str, bool, bool]]) -> dict[str, dict[str, float | int | None]]:
    counts = _count(pairs)
    counts.pop("__all__", None)
    return {group: _figures(*c) for group, c in sorted(counts.items())}


def evaluate(tagger: Tagger, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Tag rows (`title`, `text`, `label`, optional `source`, `language`, `set`) and score them.

    The report has "overall", "by_source" and "by_language" figures (a row's language is its
    `language` or `lang` field, else the lexicon the tagger chose for it: "en", "cyr", "all"
    ...), plus "by_language_set" ("de/calm", "de/mixed") when rows carry a `set`. A metric
    without its denominator (recall with no positives, fp_rate with no negatives) is None.
    """
    by_source: list[tuple[str, bool, bool]] = []
    by_language: list[tuple[str, bool, bool]] = []
    by_set: list[tuple[str, bool, bool]] = []
    for row in rows:
        title, text = row.get("title"), row.get("text")
        language = row.get("language") or row.get("lang")
        result = tagger.tag(title, text, language)
        label, predicted = _truthy(row.get("label")), result.is_conflict
        group = str(language) if language else tagger.lexicon(title, text)
        by_source.append((str(row.get("source") or "unknown"), label, predicted))
        by_language.append((group, label, predicted))
        if row.get("set"):
            by_set.append((f"{group}/{row['set']}", label, predicted))
    report = score_predictions(by_source)
    report["by_language"] = _grouped(by_language)
    if by_set:
        report["by_language_set"] = _grouped(by_set)
    report["tagger_version"] = tagger.version
    return report
