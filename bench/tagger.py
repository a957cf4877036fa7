"""Tagger speed on one core: articles/s for ~3 KB articles, beside a regex baseline in the same run.

    .venv/bin/python bench/tagger.py [--n 2000] [--dev ../shared/data/labeled/conflict_dev.jsonl]

Articles are built from the project's own fixtures (and, when the dev set is present, from its
long `abp` texts cut to ~3 KB). The baseline is one compiled alternation of English war words
with \\b boundaries and IGNORECASE: what a "plain list of war words" rule costs.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.tagging import get_tagger

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tagging" / "labelled.jsonl"
DEV = ROOT.parent / "shared" / "data" / "labeled" / "conflict_dev.jsonl"
TARGET_BYTES = 3000

BASELINE_WORDS = [
    "war",
    "wars",
    "warfare",
    "invasion",
    "ceasefire",
    "cease-fire",
    "truce",
    "airstrike",
    "airstrikes",
    "shelling",
    "missile",
    "missiles",
    "rocket",
    "rockets",
    "drone",
    "drones",
    "bomb",
    "bombing",
    "bombings",
    "attack",
    "attacks",
    "attacked",
    "killed",
    "wounded",
    "troops",
    "soldiers",
    "military",
    "army",
    "militants",
    "militant",
    "terrorist",
    "terrorists",
    "terrorism",
    "insurgents",
    "rebels",
    "hostage",
    "hostages",
    "sanctions",
    "peace",
    "talks",
    "prisoner",
    "exchange",
    "casualties",
    "refugees",
    "humanitarian",
    "mobilisation",
    "mobilization",
    "occupation",
    "annexation",
    "artillery",
]


def build_articles(n: int, dev: Path | None) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    if dev and dev.exists():
        with dev.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                body = row.get("text") or ""
                if len(body.encode()) >= TARGET_BYTES:
                    texts.append((row.get("title") or "", body))
    if not texts:
        rows = [json.loads(x) for x in FIXTURES.read_text(encoding="utf-8").splitlines() if x]
        body = " ".join(f"{r['title']}. {r['text']}" for r in rows)
        texts = [(str(r["title"]), body) for r in rows]
    articles = []
    for i in range(n):
        title, body = texts[i % len(texts)]
        cut = body.encode()[:TARGET_BYTES].decode("utf-8", "ignore")
        articles.append((title, cut))
    return articles


def _timed(fn: Callable[[], int], repeats: int) -> tuple[list[float], int]:
    """Seconds per repeat of `fn` (after one untimed warm-up pass), and its result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times, result


def run(n: int, dev: Path | None, repeats: int = 5) -> dict[str, float]:
    articles = build_articles(n, dev)
    mean_bytes = sum(len((t + b).encode()) for t, b in articles) / len(articles)
    tagger = get_tagger()

    def tag_all() -> int:
        return sum(tagger.tag(title, body).is_conflict for title, body in articles)

    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, BASELINE_WORDS)) + r")\b", re.I)

    def regex_all() -> int:
        return sum(1 for t, b in articles if len(pattern.findall(t + "\n" + b)) >= 2)

    # Interleaved repeats, so a slow spell on a shared machine hits both sides alike.
    tagger_s: list[float] = []
    regex_s: list[float] = []
    positives = tag_all()
    baseline_positives = regex_all()
    for _ in range(repeats):
        tagger_s += _timed(tag_all, 1)[0]
        regex_s += _timed(regex_all, 1)[0]
    best_t, best_r = min(tagger_s), min(regex_s)
    med_t, med_r = statistics.median(tagger_s), statistics.median(regex_s)
    return {
        "articles": len(articles),
        "mean_bytes": round(mean_bytes),
        "repeats": repeats,
        "tagger_articles_per_s_best": round(len(articles) / best_t),
        "tagger_articles_per_s_median": round(len(articles) / med_t),
        "regex_articles_per_s_best": round(len(articles) / best_r),
        "regex_articles_per_s_median": round(len(articles) / med_r),
        "tagger_vs_regex_best": round(best_r / best_t, 2),
        "tagger_vs_regex_median": round(med_r / med_t, 2),
        "tagger_positive_share": round(positives / len(articles), 3),
        "regex_positive_share": round(baseline_positives / len(articles), 3),
        "patterns": tagger.pattern_count,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.n, args.dev, args.repeats), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
