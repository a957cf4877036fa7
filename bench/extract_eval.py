"""Score body/title/date/language extraction on real pages with ground truth, per set and overall.

Reads the shared sets by path (never copies them):

* ``extraction/fundus-pages/<cc>/`` -- Fundus' parser test pages: ``<Publisher>_<date>.html.gz``,
  ``<Publisher>.json`` (one expected extraction per parser version) and ``meta.info`` (url).
* ``extraction/fundus-eval/dataset/`` -- the Fundus paper's 80 pages: ``html/*.html.gz`` and
  ``ground_truth.json`` (body paragraphs; ``[...]`` marks an optional paragraph).
* ``extraction/more/<set>/`` -- six benchmark-shaped sets (l3s-gn1, dragnet-test, big9,
  chaos-news, cleanportaleval, zh-wce-news): ``<sha256>.html.gz`` and ``ground-truth.json``
  (id -> articleBody, title, url); see MANIFEST.md there.

Every page is either ``tune`` (rules and options may be chosen by looking at it) or ``held``
(only ever scored): a hash of the page id with SPLIT_SEED, fixed before any result was seen.

Body metrics, both per page and averaged over pages:

* ``aeb``: the Scrapinghub article-extraction-benchmark score -- 4-gram shingles, tp/fp/fn
  normalised per page, F1 of the mean precision and mean recall: the scale most published
  extractor comparisons (and the owners' held-out check) use. The primary figure.
* ``bow``: bag-of-words precision/recall/F1 on ``\\w+`` tokens, the per-page mean of F1
  (as in the Fundus evaluation's paragraph scorer, but on words).

Trafilatura's configurations run in the same process on the same pages; ``--cache DIR`` keeps
their texts between runs (keyed by trafilatura's version), so a rerun only times ours.

Run:  ``.venv/bin/python bench/extract_eval.py [--cache /tmp/x] [--split held] [--only S]``
Exits 0 with a message when the data folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

_TOKEN = re.compile(r"\w+")
# More optional paragraphs than this: choose them greedily instead of over the powerset.
_MAX_POWERSET = 6
# Held-out share per set, and the seed of the hash that assigns pages: never change these after
# looking at results, or the held-out figures stop meaning anything.
SPLIT_SEED = "newsdesk-extract-split-2026-12"
HELD_SHARE = 0.4
MORE_SETS = ("l3s-gn1", "dragnet-test", "big9", "chaos-news", "cleanportaleval", "zh-wce-news")


def split_of(dataset: str, page_id: str) -> str:
    """ "held" for a fixed pseudo-random share of each set, "tune" for the rest."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{dataset}:{page_id}".encode()).digest()
    return "held" if int.from_bytes(digest[:4], "big") / 2**32 < HELD_SHARE else "tune"


@dataclass(frozen=True, slots=True)
class Page:
    """One page with its expected extraction; None means the set has no truth for it."""

    dataset: str
    page_id: str
    path: Path
    url: str | None
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    title: str | None = None
    published: datetime | None = None
    split: str = "tune"


@dataclass(slots=True)
class Result:
    """What one extractor produced for one page."""

    text: str | None
    title: str | None = None
    published: datetime | None = None
    language: str | None = None
    meta: bool = False  # the extractor reports title/date/language at all


@dataclass(slots=True)
class Score:
    bow_p: list[float] = field(default_factory=list)
    bow_r: list[float] = field(default_factory=list)
    bow_f: list[float] = field(default_factory=list)
    aeb: list[tuple[float, float, float]] = field(default_factory=list)
    title_ok: list[bool] = field(default_factory=list)
    date_ok: list[bool] = field(default_factory=list)
    lang_ok: list[bool] = field(default_factory=list)
    seconds: float = 0.0
    empty: int = 0


# ---------------------------------------------------------------- loading


def read_gz(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _fundus_body(body: dict[str, object]) -> list[str]:
    """Fundus' ArticleBody as a text sequence: summary, then each section's headline+paragraphs."""
    out: list[str] = [str(p) for p in body.get("summary", []) or []]  # type: ignore[attr-defined]
    for section in body.get("sections", []) or []:  # type: ignore[attr-defined]
        out.extend(str(p) for p in section.get("headline", []) or [])
        out.extend(str(p) for p in section.get("paragraphs", []) or [])
    return out


def _norm_for_match(text: str) -> str:
    return " ".join(unescape(text).split()).lower()


def load_fundus_pages(root: Path) -> list[Page]:
    """Pair each html file with the parser version whose expected body it contains."""
    pages: list[Page] = []
    for cc_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        meta_path = cc_dir / "meta.info"
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        for truth_path in sorted(cc_dir.glob("*.json")):
            publisher = truth_path.stem
            versions: dict[str, dict[str, object]] = json.loads(truth_path.read_text("utf-8"))
            for html_path in sorted(cc_dir.glob(f"{publisher}_*.html.gz")):
                haystack = _norm_for_match(read_gz(html_path).decode("utf-8", "replace"))

                def hits(truth: dict[str, object], haystack: str = haystack) -> int:
                    paras = [str(truth.get("title") or "")]
                    paras += _fundus_body(truth.get("body") or {})  # type: ignore[arg-type]
                    return sum(1 for p in paras if p and _norm_for_match(p)[:60] in haystack)

                truth = max(versions.values(), key=hits)
                body = _fundus_body(truth.get("body") or {})  # type: ignore[arg-type]
                raw_date = truth.get("publishing_date")
                published = datetime.fromisoformat(str(raw_date)) if raw_date else None
                pages.append(
                    Page(
                        dataset="fundus-pages",
                        page_id=f"{cc_dir.name}/{html_path.name}",
                        path=html_path,
                        url=(meta.get(html_path.name) or {}).get("url"),
                        required=tuple(body),
                        title=str(truth["title"]) if truth.get("title") else None,
                        published=published,
                    )
                )
    return pages


def load_fundus_eval(root: Path) -> list[Page]:
    truth: dict[str, dict[str, object]] = json.loads(
        (root / "ground_truth.json").read_text("utf-8")
    )
    pages: list[Page] = []
    for name, item in sorted(truth.items()):
        paras = [str(p) for p in item["body"]]  # type: ignore[attr-defined]
        required = tuple(p for p in paras if not (p.startswith("[") and p.endswith("]")))
        optional = tuple(p[1:-1] for p in paras if p.startswith("[") and p.endswith("]"))
        pages.append(
            Page(
                dataset="fundus-eval",
                page_id=name,
                path=root / "html" / name,
                url=str(item.get("url")) if item.get("url") else None,
                required=required,
                optional=optional,
            )
        )
    return pages


def load_more(root: Path, dataset: str) -> list[Page]:
    """One benchmark-shaped set: id -> articleBody (the headline already left out)."""
    truth: dict[str, dict[str, str]] = json.loads((root / "ground-truth.json").read_text("utf-8"))
    return [
        Page(
            dataset=dataset,
            page_id=page_id,
            path=root / f"{page_id}.html.gz",
            url=item.get("url") or None,
            required=(item.get("articleBody") or "",),
            title=item.get("title") or None,
        )
        for page_id, item in sorted(truth.items())
    ]


def load_pages(data: Path) -> list[Page]:
    """Every set found under data/extraction, each page tagged with its tune/held split."""
    pages: list[Page] = []
    fp = data / "extraction" / "fundus-pages"
    fe = data / "extraction" / "fundus-eval" / "dataset"
    if fp.is_dir():
        pages += load_fundus_pages(fp)
    if fe.is_dir():
        pages += load_fundus_eval(fe)
    for name in MORE_SETS:
        root = data / "extraction" / "more" / name
        if (root / "ground-truth.json").is_file():
            pages += load_more(root, name)
    return [replace(p, split=split_of(p.dataset, p.page_id)) for p in pages]


# ---------------------------------------------------------------- metrics


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def prf(reference: Counter[str], hypothesis: Counter[str]) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of one page."""
    tp = sum((reference & hypothesis).values())
    n_hyp, n_ref = sum(hypothesis.values()), sum(reference.values())
    if n_hyp == 0 and n_ref == 0:
        return 1.0, 1.0, 1.0
    p = tp / n_hyp if n_hyp else 0.0
    r = tp / n_ref if n_ref else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _reference_variants(page: Page) -> Iterator[list[str]]:
    if len(page.optional) <= _MAX_POWERSET:
        for k in range(len(page.optional) + 1):
            for subset in itertools.combinations(page.optional, k):
                yield [*page.required, *subset]
    else:
        yield list(page.required)
        yield [*page.required, *page.optional]


def bow_score(page: Page, text: str) -> tuple[float, float, float]:
    """Best bag-of-words P/R/F1 over the allowed readings of the optional paragraphs."""
    hyp = Counter(tokens(text))
    best = (0.0, 0.0, -1.0)
    for variant in _reference_variants(page):
        score = prf(Counter(tokens("\n".join(variant))), hyp)
        if score[2] > best[2]:
            best = score
    return best


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    toks = tokens(text)
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks)


def aeb_counts(page: Page, text: str) -> tuple[float, float, float]:
    """Scrapinghub AEB: shingle tp/fp/fn normalised to sum 1 (best optional reading)."""
    hyp = _shingles(text)
    best: tuple[float, float, float] | None = None
    best_f = -1.0
    for variant in _reference_variants(page):
        ref = _shingles("\n".join(variant))
        tp = sum((ref & hyp).values())
        fp = sum((hyp - ref).values())
        fn = sum((ref - hyp).values())
        s = tp + fp + fn
        counts = (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)
        f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f > best_f:
            best, best_f = counts, f
    assert best is not None
    return best


def aeb_f1(counts: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision and mean recall over pages, then their harmonic mean (AEB's F1)."""
    items = list(counts)

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    ps = [precision(*c) for c in items if c[0] + c[1] > 0]
    rs = [recall(*c) for c in items if c[0] + c[2] > 0]
    p = statistics.fmean(ps) if ps else 0.0
    r = statistics.fmean(rs) if rs else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def same_day(expected: datetime, got: datetime) -> bool:
    """Right day in the page's own zone or in UTC (a date-only value is midnight UTC)."""
    days: set[date] = {expected.date()}
    if expected.tzinfo is not None:
        days.add(expected.astimezone(UTC).date())
    return got.date() in days or got.astimezone(UTC).date() in days


def _norm_title(title: str) -> str:
    return " ".join(unicodedata.normalize("NFC", unescape(title)).split())


# ---------------------------------------------------------------- extractors

Extractor = Callable[[bytes, Page], Result]


def trafilatura_plain(**options: object) -> Extractor:
    import trafilatura

    def run(html: bytes, page: Page) -> Result:
        return Result(text=trafilatura.extract(html, url=page.url, **options))

    return run


def trafilatura_meta(**options: object) -> Extractor:
    """bare_extraction with metadata, no cleanup: isolates what options alone do."""
    import trafilatura

    def run(html: bytes, page: Page) -> Result:
        doc = trafilatura.bare_extraction(html, url=page.url, with_metadata=True, **options)
        if doc is None or isinstance(doc, dict):
            return Result(text=None, meta=True)
        published = datetime.fromisoformat(doc.date).replace(tzinfo=UTC) if doc.date else None
        return Result(
            text=unicodedata.normalize("NFC", doc.text or ""),
            title=doc.title,
            published=published,
            meta=True,
        )

    return run


def newsdesk() -> Extractor:
    """Our extract_html, as a pass calls it when the feed gives no metadata."""
    sys.path.insert(0, str(ROOT))
    from pipeline.extract import extract_html

    def run(html: bytes, page: Page) -> Result:
        got = extract_html(html, url=page.url)
        if got is None:
            return Result(text=None, meta=True)
        return Result(
            text=got.text,
            title=got.title,
            published=got.published_at,
            language=got.language,
            meta=True,
        )

    return run


def reference_language(page: Page) -> str | None:
    """The language py3langid finds in the expected text: the yardstick for ours."""
    import py3langid

    text = "\n".join(page.required)
    if len(text) < 200:
        return None
    return str(py3langid.classify(text[:3000])[0])


def run_extractor(
    extractor: Extractor, pages: list[Page], html: dict[str, bytes]
) -> tuple[list[Result], float]:
    """Results for every page and the seconds they took (one warm-up page untimed)."""
    extractor(html[pages[0].page_id], pages[0])  # lazy imports and models untimed
    start = time.perf_counter()
    results = [extractor(html[page.page_id], page) for page in pages]
    return results, time.perf_counter() - start


def score(pages: list[Page], results: list[Result]) -> Score:
    s = Score()
    for page, result in zip(pages, results, strict=True):
        text = result.text or ""
        if not text:
            s.empty += 1
        p, r, f = bow_score(page, text)
        s.bow_p.append(p)
        s.bow_r.append(r)
        s.bow_f.append(f)
        s.aeb.append(aeb_counts(page, text))
        if not result.meta:
            continue
        if page.title is not None and page.dataset.startswith("fundus"):
            s.title_ok.append(
                result.title is not None and _norm_title(result.title) == _norm_title(page.title)
            )
        if page.published is not None:
            s.date_ok.append(
                result.published is not None and same_day(page.published, result.published)
            )
        if result.text and page.dataset.startswith("fundus"):
            ref = reference_language(page)
            if ref is not None:
                s.lang_ok.append(result.language == ref)
    return s


def _pct(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.3f}" if values else "  -  "


TABLE_HEAD = (
    f"{'set':<15} {'extractor':<28} {'split':<5} {'n':>4} {'aebF1':>6} {'aebP':>6} {'aebR':>6} "
    f"{'bowF1':>6} {'title':>6} {'date':>6} {'lang':>6} {'empty':>5}"
)


def table_row(dataset: str, name: str, split: str, s: Score) -> str:
    ap, ar, af = aeb_f1(s.aeb)
    return (
        f"{dataset:<15} {name:<28} {split:<5} {len(s.bow_f):>4} {af:6.3f} {ap:6.3f} {ar:6.3f} "
        f"{statistics.fmean(s.bow_f):6.3f} {_pct(s.title_ok):>6} {_pct(s.date_ok):>6} "
        f"{_pct(s.lang_ok):>6} {s.empty:5d}"
    )


def extractors() -> dict[str, Extractor]:
    """Trafilatura's usual configurations, then ours; all see the same bytes and URL."""
    no_comments = {"include_comments": False}
    return {
        "trafilatura default": trafilatura_plain(),
        "trafilatura no-comments": trafilatura_plain(**no_comments),
        "trafilatura precision": trafilatura_plain(favor_precision=True),
        "trafilatura precision no-comm": trafilatura_plain(**no_comments, favor_precision=True),
        "trafilatura recall no-comm": trafilatura_plain(**no_comments, favor_recall=True),
        "trafilatura fast": trafilatura_plain(fast=True),
        "trafilatura fast no-comments": trafilatura_plain(**no_comments, fast=True),
        "trafilatura meta no-comments": trafilatura_meta(**no_comments),
        "newsdesk extract_html": newsdesk(),
    }


def _cache_file(cache: Path, name: str) -> Path:
    import trafilatura

    return cache / f"{name.replace(' ', '_')}-{trafilatura.__version__}.json"


def load_cached(cache: Path | None, name: str, pages: list[Page]) -> list[Result] | None:
    if cache is None or name.startswith("newsdesk"):
        return None
    path = _cache_file(cache, name)
    if not path.is_file():
        return None
    stored: dict[str, dict[str, object]] = json.loads(path.read_text("utf-8"))
    if any(f"{p.dataset}/{p.page_id}" not in stored for p in pages):
        return None
    out = []
    for p in pages:
        item = dict(stored[f"{p.dataset}/{p.page_id}"])
        published = item.pop("published")
        out.append(
            Result(**item, published=datetime.fromisoformat(str(published)) if published else None)  # type: ignore[arg-type]
        )
    return out


def store_cached(cache: Path | None, name: str, pages: list[Page], results: list[Result]) -> None:
    if cache is None or name.startswith("newsdesk"):
        return
    cache.mkdir(parents=True, exist_ok=True)
    stored = {
        f"{p.dataset}/{p.page_id}": {
            **asdict(r),
            "published": r.published.isoformat() if r.published else None,
        }
        for p, r in zip(pages, results, strict=True)
    }
    _cache_file(cache, name).write_text(json.dumps(stored), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--only", help="run only extractors whose name contains this")
    parser.add_argument("--sets", help="comma-separated set names (default: all found)")
    parser.add_argument("--split", choices=["tune", "held", "all"], default="all")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N pages/set")
    parser.add_argument("--cache", type=Path, help="keep trafilatura's texts here between runs")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst tune pages of ours")
    args = parser.parse_args(argv)

    pages = load_pages(args.data) if args.data.is_dir() else []
    if not pages:
        print(f"no extraction data under {args.data}: nothing to score")
        return 0
    by_set: dict[str, list[Page]] = {}
    for page in pages:
        if args.split in ("all", page.split):
            by_set.setdefault(page.dataset, []).append(page)
    if args.sets:
        by_set = {k: v for k, v in by_set.items() if k in args.sets.split(",")}
    if args.limit:
        by_set = {k: v[: args.limit] for k, v in by_set.items()}
    chosen = [p for ps in by_set.values() for p in ps]
    html = {p.page_id: read_gz(p.path) for p in chosen}
    splits = ["tune", "held"] if args.split == "all" else [args.split]

    rows: list[str] = []
    speed: list[str] = []
    for name, extractor in extractors().items():
        if args.only and args.only not in name and not name.startswith("newsdesk"):
            continue
        results = load_cached(args.cache, name, chosen)
        if results is None:
            results, seconds = run_extractor(extractor, chosen, html)
            store_cached(args.cache, name, chosen, results)
            speed.append(f"{name:<30} {len(chosen) / seconds:6.1f} pages/s")
        by_page = {f"{p.dataset}/{p.page_id}": r for p, r in zip(chosen, results, strict=True)}
        for dataset, ps in [*by_set.items(), ("ALL", chosen)]:
            for split in splits:
                sel = [p for p in ps if p.split == split]
                if sel:
                    got = [by_page[f"{p.dataset}/{p.page_id}"] for p in sel]
                    rows.append(table_row(dataset, name, split, score(sel, got)))
        if args.worst and name.startswith("newsdesk"):
            tune = [p for p in chosen if p.split == "tune"]
            scored = [
                (aeb_counts(p, by_page[f"{p.dataset}/{p.page_id}"].text or ""), p) for p in tune
            ]
            for (tp, fp, fn), p in sorted(scored, key=lambda t: t[0][0])[: args.worst]:
                print(
                    f"  worst tp={tp:.3f} fp={fp:.3f} fn={fn:.3f} {p.dataset}/{p.page_id}",
                    file=sys.stderr,
                )
    print(TABLE_HEAD)
    print("-" * len(TABLE_HEAD))
    for row in sorted(rows, key=lambda r: (r[:15] == "ALL" + " " * 12, r[:15], r[45:50])):
        print(row)
    print("\nspeed (one process, this run):")
    print("\n".join(speed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
