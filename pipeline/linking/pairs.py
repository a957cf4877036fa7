"""The code behind `newsdesk similarity FILE|-`: JSONL pairs in, similarities and decisions out.

Input, one object a line: `pair_id`, `text1`, `text2`, optional `title1/2`, `language1/2`,
`published1/2` (ISO 8601; without both dates time is compatible). Output, one object a line in
input order: `pair_id`, `similarity` (0 unrelated .. 1 same story), `same_story`. A line that
is not a JSON object with a `pair_id` and two texts is reported with its line number and
skipped. Scoring goes through `Linker`, the path the warehouse's stories use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.linking.linker import LinkDoc, Linker

BATCH = 64  # pairs embedded together (the encoder is faster on batches)


@dataclass(frozen=True, slots=True, kw_only=True)
class BadLine:
    """An input line that was skipped, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PairResult:
    pair_id: str
    similarity: float
    same_story: bool

    def to_json(self) -> str:
        return json.dumps(
            {"pair_id": self.pair_id, "similarity": self.similarity, "same_story": self.same_story},
            ensure_ascii=False,
        )


def _time(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _optional_str(row: dict[str, Any], field: str) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a string")
    return value


def parse_pair(line: str) -> tuple[str, LinkDoc, LinkDoc]:
    """One input line as (pair_id, first article, second article); ValueError says why not."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    pair_id = row.get("pair_id")
    if not isinstance(pair_id, str | int) or isinstance(pair_id, bool) or pair_id == "":
        raise ValueError("pair_id is missing")
    sides = []
    for n in (1, 2):
        text = row.get(f"text{n}")
        if not isinstance(text, str):
            raise ValueError(f"text{n} is missing or not a string")
        sides.append(
            LinkDoc(
                text=text,
                title=_optional_str(row, f"title{n}"),
                language=_optional_str(row, f"language{n}") or _optional_str(row, f"lang{n}"),
                published=_time(row.get(f"published{n}"), f"published{n}"),
            )
        )
    return str(pair_id), sides[0], sides[1]


def score_pairs(
    lines: Iterable[str],
    *,
    linker: Linker | None = None,
    on_bad: Callable[[BadLine], None] | None = None,
) -> Iterator[PairResult]:
    """Score each well-formed line, in order; bad lines go to `on_bad` (blank lines are ignored)."""
    linker = linker or Linker()
    batch: list[tuple[str, LinkDoc, LinkDoc]] = []

    def flush() -> Iterator[PairResult]:
        prepared = linker.prepare_many([d for _, a, b in batch for d in (a, b)])
        for k, (pair_id, _, _) in enumerate(batch):
            score = linker.similarity(prepared[2 * k], prepared[2 * k + 1])
            yield PairResult(
                pair_id=pair_id, similarity=score, same_story=score >= linker.threshold
            )
        batch.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            batch.append(parse_pair(line))
        except ValueError as exc:
            if on_bad is not None:
                on_bad(BadLine(line=number, reason=str(exc)))
            continue
        if len(batch) >= BATCH:
            yield from flush()
    if batch:
        yield from flush()
