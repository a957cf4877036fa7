"""The fitted combiner: pair features -> similarity in [0, 1], and the same-story threshold.

A least-squares line on the features (target: (4 - overall) / 3 of the SemEval-2022 Task 8
annotators, so 1 = same story, 0 = unrelated), clipped to [0, 1]. Least squares rather than a
logistic fit because the figure that matters first is the correlation with the graded score;
the threshold is the one that maximised same-story F1 on the same training portion. Fitted by
`bench/pairs_eval.py fit`, stored beside this module as `model.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

MODEL_PATH = Path(__file__).with_name("model.json")
RIDGE = 1e-3  # keeps the fit stable when two features move together (cross-lingual pairs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    """Intercept and one coefficient per feature, plus the same-story threshold."""

    features: tuple[str, ...]
    intercept: float
    coefficients: tuple[float, ...]
    threshold: float
    lead_chars: int = 600  # characters of title and lead that are embedded
    note: str = ""

    def score(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Similarities for a (pairs, features) matrix, clipped to [0, 1]."""
        raw = self.intercept + x @ np.asarray(self.coefficients, dtype=np.float64)
        out: npt.NDArray[np.float64] = np.clip(raw, 0.0, 1.0)
        return out

    def to_json(self) -> str:
        body = {
            "note": self.note,
            "features": list(self.features),
            "intercept": round(self.intercept, 6),
            "coefficients": [round(c, 6) for c in self.coefficients],
            "threshold": round(self.threshold, 4),
            "lead_chars": self.lead_chars,
        }
        return json.dumps(body, indent=2) + "\n"


def fit(
    x: npt.NDArray[np.float64],
    target: npt.NDArray[np.float64],
    *,
    features: Sequence[str],
    lead_chars: int = 600,
    note: str = "",
) -> Model:
    """Ridge least squares of `target` (1 same .. 0 unrelated) on `x`; threshold at best F1."""
    design = np.column_stack([np.ones(len(x)), x])
    penalty = RIDGE * len(x) * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    solution = np.linalg.solve(design.T @ design + penalty, design.T @ target)
    partial = Model(
        features=tuple(features),
        intercept=float(solution[0]),
        coefficients=tuple(float(c) for c in solution[1:]),
        threshold=0.5,
        lead_chars=lead_chars,
        note=note,
    )
    scores = partial.score(x)
    threshold, _ = best_threshold(scores, target)
    return Model(
        features=partial.features,
        intercept=partial.intercept,
        coefficients=partial.coefficients,
        threshold=threshold,
        lead_chars=lead_chars,
        note=note,
    )


def f1_at(
    scores: npt.NDArray[np.float64], target: npt.NDArray[np.float64], threshold: float
) -> float:
    """Same-story F1 at a threshold; same = target >= 2/3 (overall <= 2), different = target
    <= 1/3 (overall >= 3), pairs in between are left out."""
    same = target >= 2 / 3 - 1e-9
    decided = same | (target <= 1 / 3 + 1e-9)
    predicted = scores >= threshold
    tp = int(np.sum(predicted & same & decided))
    fp = int(np.sum(predicted & ~same & decided))
    fn = int(np.sum(~predicted & same & decided))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_threshold(
    scores: npt.NDArray[np.float64], target: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """The threshold (midway between two observed scores) with the highest F1, and that F1."""
    values = np.unique(np.round(scores, 4))
    candidates = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
    best = (0.5, -1.0)
    for t in candidates:
        f1 = f1_at(scores, target, float(t))
        if f1 > best[1]:
            best = (float(t), f1)
    return best


def load_model(path: Path = MODEL_PATH) -> Model:
    """Read a stored model."""
    body = json.loads(path.read_text(encoding="utf-8"))
    return Model(
        features=tuple(body["features"]),
        intercept=float(body["intercept"]),
        coefficients=tuple(float(c) for c in body["coefficients"]),
        threshold=float(body["threshold"]),
        lead_chars=int(body.get("lead_chars", 600)),
        note=str(body.get("note", "")),
    )


@cache
def default_model() -> Model:
    """The model shipped with the package."""
    return load_model()
