"""Story linker on real article pairs (SemEval-2022 Task 8 training set), and its speed.

The 1,283 pairs in ../shared/data/stories/semeval2022-train.jsonl are split once, before any
result was looked at: 30% held out, seeded, stratified by language pair, and grouped so that
pairs sharing an article (or a translated copy of one) fall on the same side. Only the training
portion fits the model (`fit`); `eval` reports both portions and each language pair:
Pearson(similarity, -overall), the best-threshold F1 and the F1 of the command's own decisions
(same = overall <= 2, different = overall >= 3, pairs in between left out), and the speed of
linking (prepare each article, compare it with 20 candidates).

    .venv/bin/python bench/pairs_eval.py fit     # writes pipeline/linking/model.json
    .venv/bin/python bench/pairs_eval.py eval [--speed-articles 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.linking.embed import Encoder  # noqa: E402
from pipeline.linking.linker import FEATURES, SIGNALS, LinkDoc, Linker, expand  # noqa: E402
from pipeline.linking.model import (  # noqa: E402
    MODEL_PATH,
    Model,
    best_threshold,
    f1_at,
    fit,
    load_model,
)

DATA = ROOT.parent / "shared" / "data" / "stories" / "semeval2022-train.jsonl"
SEED = "newsdesk-linking-2026"
HELD_OUT = 0.30


def load_pairs(path: Path = DATA) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _article(key: str) -> str:
    # "1484039360it" is a machine translation of article 1484039360.
    return re.sub(r"\D", "", key)


def split(rows: list[dict[str, Any]]) -> list[bool]:
    """True for held-out rows: whole groups (pairs linked through shared articles), 30% of the
    groups of each language pair, chosen by a seeded hash."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        a, b = (_article(k) for k in r["pair_id"].split("_", 1))
        parent[find(a)] = find(b)
    group_of = [find(_article(r["pair_id"].split("_", 1)[0])) for r in rows]
    stratum: dict[str, str] = {}
    for r, g in zip(rows, group_of, strict=True):
        stratum.setdefault(g, f"{r['lang1']}-{r['lang2']}")
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for g, s in stratum.items():
        by_stratum[s].append(g)
    held: set[str] = set()
    for groups in by_stratum.values():
        ranked = sorted(groups, key=lambda g: hashlib.sha256(f"{SEED}:{g}".encode()).hexdigest())
        held.update(ranked[: round(HELD_OUT * len(ranked))])
    return [g in held for g in group_of]


def target(rows: list[dict[str, Any]]) -> np.ndarray:
    return (4.0 - np.array([r["overall"] for r in rows], dtype=np.float64)) / 3.0


def docs(r: dict[str, Any], side: int) -> LinkDoc:
    return LinkDoc(text=r[f"text{side}"], language=r[f"lang{side}"])


def signal_matrix(linker: Linker, rows: list[dict[str, Any]], cache: str | None) -> np.ndarray:
    """Raw signals of every pair (cached by the linking code's and the data's hash)."""
    digest = hashlib.sha256(DATA.read_bytes() + str(linker.model.lead_chars).encode())
    for source in sorted((ROOT / "pipeline" / "linking").glob("*.py")):
        digest.update(source.read_bytes())
    path = Path(cache) / f"pairs-signals-{digest.hexdigest()[:16]}.npy" if cache else None
    if path is not None and path.is_file():
        loaded: np.ndarray = np.load(path)
        return loaded
    left = linker.prepare_many([docs(r, 1) for r in rows])
    right = linker.prepare_many([docs(r, 2) for r in rows])
    x = np.stack([linker.signals(a, b) for a, b in zip(left, right, strict=True)])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, x)
    return x


def _placeholder(lead_chars: int) -> Model:
    return Model(
        features=FEATURES,
        intercept=0.0,
        coefficients=(0.0,) * len(FEATURES),
        threshold=0.5,
        lead_chars=lead_chars,
    )


def cmd_fit(args: argparse.Namespace) -> None:
    rows = load_pairs()
    train = ~np.array(split(rows))
    linker = Linker(model=_placeholder(args.lead_chars))
    x = expand(signal_matrix(linker, rows, args.cache))
    model = fit(
        x[train],
        target(rows)[train],
        features=FEATURES,
        lead_chars=args.lead_chars,
        note=f"fitted by bench/pairs_eval.py on {int(train.sum())} training pairs (seed {SEED})",
    )
    Path(args.out).write_text(model.to_json(), encoding="utf-8")
    print(model.to_json())


def _figures(scores: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    pearson = float(np.corrcoef(scores, y)[0, 1]) if len(y) > 2 and np.std(scores) > 0 else 0.0
    best_t, best_f1 = best_threshold(scores, y)
    return {
        "pairs": len(y),
        "pearson": round(pearson, 3),
        "f1": round(f1_at(scores, y, threshold), 3),
        "best_f1": round(best_f1, 3),
        "best_threshold": round(best_t, 3),
    }


def speed(linker: Linker, rows: list[dict[str, Any]], *, articles: int) -> dict[str, float]:
    """Articles/s of prepare + similarity against 20 candidates (a load's linking step)."""
    texts = [docs(r, s) for r in rows for s in (1, 2)][:articles]
    pool = linker.prepare_many(texts[:200])
    cpu = time.process_time()
    started = time.perf_counter()
    prepared = []
    for i in range(0, len(texts), 100):
        prepared.extend(linker.prepare_many(texts[i : i + 100]))
    prepare_s = time.perf_counter() - started
    compared = time.perf_counter()
    for i, p in enumerate(prepared):
        linker.similarities(p, [pool[(i + k) % len(pool)] for k in range(20)])
    compare_s = time.perf_counter() - compared
    cpu_s = time.process_time() - cpu
    total = prepare_s + compare_s
    baseline_s = _minhash_baseline([d.text for d in texts])
    return {
        "articles": len(prepared),
        "prepare_s": round(prepare_s, 2),
        "compare_s": round(compare_s, 2),
        "articles_per_s": round(len(prepared) / total, 1),
        # CPU time is what the machine's other tenants cannot take away (one thread is used).
        "articles_per_cpu_s": round(len(prepared) / cpu_s, 1),
        "minhash_articles_per_s": round(len(texts) / baseline_s, 1),
        "cost_vs_minhash": round(total / baseline_s, 2),
    }


def _minhash_baseline(texts: list[str]) -> float:
    """Seconds for today's per-article story cost: a 64-permutation MinHash of word 3-grams
    (as pipeline/analysis/stories.py computes), measured in the same run for a ratio."""
    import zlib

    from datasketch import MinHash  # type: ignore[import-untyped]

    started = time.perf_counter()
    for text in texts:
        words = re.findall(r"\w+", text.casefold())
        grams = {" ".join(words[i : i + 3]).encode() for i in range(max(1, len(words) - 2))}
        mh = MinHash(num_perm=64, seed=7, hashfunc=zlib.crc32, scheme="affine32")
        mh.update_batch(list(grams))
    return time.perf_counter() - started


def cmd_eval(args: argparse.Namespace) -> None:
    rows = load_pairs()
    held = np.array(split(rows))
    model = load_model(Path(args.model))
    linker = Linker(model=model, embedder=Encoder(threads=args.threads))
    raw = signal_matrix(linker, rows, args.cache)
    # The model applied as similarities() applies it (no dates here: the time factor is 1).
    scores = linker.model.score(expand(raw))
    y = target(rows)
    langs = np.array([f"{r['lang1']}-{r['lang2']}" for r in rows])
    augmented = np.array([bool(r["augmented"]) for r in rows])
    report: dict[str, Any] = {"threshold": model.threshold}
    for name, mask in (("train", ~held), ("held_out", held)):
        report[name] = _figures(scores[mask], y[mask], model.threshold)
        report[f"{name}_original"] = _figures(
            scores[mask & ~augmented], y[mask & ~augmented], model.threshold
        )
        report[f"{name}_by_language"] = {
            lang: _figures(
                scores[mask & (langs == lang)], y[mask & (langs == lang)], model.threshold
            )
            for lang in sorted(set(langs[mask]))
        }
    # Each signal alone, over all pairs (which ones carry the model).
    report["signals_pearson_all"] = {
        name: round(float(np.corrcoef(raw[:, i], y)[0, 1]), 3)
        for i, name in enumerate(SIGNALS)
        if np.std(raw[:, i]) > 0
    }
    if args.speed_articles:
        report["speed"] = speed(linker, rows, articles=args.speed_articles)
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fit_p = sub.add_parser("fit", help="fit the combiner on the training portion")
    fit_p.add_argument("--out", default=str(MODEL_PATH))
    fit_p.add_argument("--lead-chars", type=int, default=600)
    fit_p.add_argument("--cache", default="/tmp/newsdesk-bench", help="signals cache folder")
    eval_p = sub.add_parser("eval", help="figures on training and held-out portions")
    eval_p.add_argument("--model", default=str(MODEL_PATH))
    eval_p.add_argument("--threads", type=int, default=1)
    eval_p.add_argument("--cache", default="/tmp/newsdesk-bench", help="signals cache folder")
    eval_p.add_argument("--speed-articles", type=int, default=1000)
    args = parser.parse_args()
    if not DATA.is_file():
        sys.exit(f"{DATA} is not there: this benchmark needs ../shared/data")
    {"fit": cmd_fit, "eval": cmd_eval}[args.command](args)


if __name__ == "__main__":
    main()
