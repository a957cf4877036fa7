"""Tagger speed on one core: articles/s for ~3 KB articles, beside a regex baseline in the same run.

    .venv/bin/python bench/tagger.py [--n 2000] [--dev ../shared/data/labeled/conflict_dev.jsonl]
    .venv/bin/python bench/tagger.py --mix multilingual [--language given|detect]

Articles are built from the project's own fixtures (and, when the dev set is present, from its
long `abp` texts cut to ~3 KB). The baseline is one compiled alternation of English war words
with \\b boundaries and IGNORECASE: what a "plain list of war words" rule costs.

`--mix multilingual` takes the texts of ../shared/data/labeled/multilingual (de, es, fr, tr, uk,
shorter than 3 KB: a title and a lede or two) plus the English dev set's, in equal numbers per
language, against a baseline whose list adds each language's core war words. `--language given`
passes each text's language, as the pass does with `articles.language`; `detect` leaves it to
the tagger (the default, and what `newsdesk tag` does for rows without one).
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


# Each language's core war words, added to BASELINE_WORDS for the multilingual mix.
MULTILINGUAL_WORDS = [
    *("krieg", "kriege", "angriff", "soldaten", "waffenruhe", "raketen", "getötet"),
    *("guerre", "attaque", "soldats", "cessez-le-feu", "frappes", "tués", "armée"),
    *("guerra", "ataque", "soldados", "tregua", "bombardeo", "muertos", "ejército"),
    *("savaş", "saldırı", "asker", "ateşkes", "füze", "öldü", "ordu"),
    *("війна", "війни", "атака", "обстріл", "ракети", "загинули", "армія"),
]
MULTILINGUAL = ROOT.parent / "shared" / "data" / "labeled" / "multilingual"
MIX_LANGUAGES = ("de", "es", "fr", "tr", "uk")


def build_mix(n: int, dev: Path | None) -> list[tuple[str, str, str]]:
    """(title, body, language) in equal shares per language, English from the dev set."""
    pools: dict[str, list[tuple[str, str]]] = {}
    for lang in MIX_LANGUAGES:
        path = MULTILINGUAL / f"{lang}.jsonl"
        if path.exists():
            rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
            pools[lang] = [(str(r.get("title") or ""), str(r.get("text") or "")) for r in rows]
    pools["en"] = build_articles(max(n // (len(pools) + 1), 1), dev)
    articles = []
    languages = sorted(pools)
    for i in range(n):
        lang = languages[i % len(languages)]
        title, body = pools[lang][(i // len(languages)) % len(pools[lang])]
        cut = body.encode()[:TARGET_BYTES].decode("utf-8", "ignore")
        articles.append((title, cut, lang))
    return articles


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


def run(
    n: int, dev: Path | None, repeats: int = 5, *, mix: str = "en", language: str = "detect"
) -> dict[str, float | str]:
    if mix == "multilingual":
        triples = build_mix(n, dev)
        words = BASELINE_WORDS + MULTILINGUAL_WORDS
    else:
        triples = [(t, b, "en") for t, b in build_articles(n, dev)]
        words = BASELINE_WORDS
    given = language == "given"
    articles = [(t, b, lang if given else None) for t, b, lang in triples]
    mean_bytes = sum(len((t + b).encode()) for t, b, _ in articles) / len(articles)
    tagger = get_tagger()

    def tag_all() -> int:
        return sum(tagger.tag(title, body, lang).is_conflict for title, body, lang in articles)

    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.I)

    def regex_all() -> int:
        return sum(1 for t, b, _ in articles if len(pattern.findall(t + "\n" + b)) >= 2)

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
        "mix": mix,
        "language": language,
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
    parser.add_argument("--mix", choices=["en", "multilingual"], default="en")
    parser.add_argument("--language", choices=["detect", "given"], default="detect")
    args = parser.parse_args()
    report = run(args.n, args.dev, args.repeats, mix=args.mix, language=args.language)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
