"""Precision, recall and F1 of `is_conflict` against labelled rows, overall and per source."""

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
    counts: dict[str, list[int]] = {}
    for source, label, predicted in pairs:
        for key in ("__all__", source):
            c = counts.setdefault(key, [0, 0, 0, 0])
            index = (0 if predicted else 2) if label else (1 if predicted else 3)
            c[index] += 1
    overall = _figures(*counts.pop("__all__", [0, 0, 0, 0]))
    return {
        "overall": overall,
        "by_source": {source: _figures(*c) for source, c in sorted(counts.items())},
    }


def evaluate(tagger: Tagger, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Tag rows (`title`, `text`, `label`, optional `source`, `language`) and score them."""
    pairs: list[tuple[str, bool, bool]] = []
    for row in rows:
        result = tagger.tag(row.get("title"), row.get("text"), row.get("language"))
        pairs.append(
            (str(row.get("source") or "unknown"), _truthy(row.get("label")), result.is_conflict)
        )
    report = score_predictions(pairs)
    report["tagger_version"] = tagger.version
    return report
