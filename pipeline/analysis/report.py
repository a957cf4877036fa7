"""One self-contained HTML report: inline CSS and SVG charts, no scripts, no external URLs.

Every string from the warehouse (titles, outlet names, URLs, errors) is hostile input: it is
escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from pipeline.queries import load_query

PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8e6c8a", "#30638e", "#a05a2c")
OTHER = "#9aa5b1"
_PARAM = re.compile(r"\$([a-z_]+)")


class ReportError(RuntimeError):
    """The report cannot be built; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportInput:
    date_from: date
    date_to: date
    conflict: str | None = None
    generated_at: datetime
    top: int = 10


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: Any, text: Any) -> str:
    href = str(url or "")
    if href.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(href)}" rel="noopener noreferrer">{_e(text)}</a>'
    return _e(text)


def _rows(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    text = load_query(f"report/{name}")
    used = set(_PARAM.findall(text))
    return con.execute(text, {k: v for k, v in params.items() if k in used} or None).fetchall()


def gather(con: duckdb.DuckDBPyConnection, spec: ReportInput) -> dict[str, Any]:
    """Everything the report shows, as plain rows."""
    p: dict[str, Any] = {
        "from": spec.date_from,
        "to": spec.date_to,
        "conflict": spec.conflict,
        "top": spec.top,
    }
    # The articles in scope (a day range and, optionally, one conflict) as a table macro.
    con.execute(load_query("report/scope"))
    data: dict[str, Any] = {}
    data["totals"] = _rows(con, "totals", p)[0]
    data["series"] = _rows(con, "conflict_series", p)
    data["daily_all"] = _rows(con, "daily", p)
    data["outlets"] = _rows(con, "outlets", p)
    data["stories"] = _rows(con, "stories", p)
    for kind in ("actor", "place"):
        data[kind] = _rows(con, "entities", {**p, "kind": kind})
    data["feeds"] = _rows(con, "feeds", {})
    return data


# --- SVG ----------------------------------------------------------------------------------------


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def line_chart(series: dict[str, dict[date, int]], start: date, end: date, *, title: str) -> str:
    """A line per series over every day from start to end (missing days count as zero)."""
    days = _days(start, end)
    width, height, left, right, top, bottom = 900, 280, 48, 170, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1] + [n for s in series.values() for n in s.values()])
    peak = -(-peak // 4) * 4  # four gridlines on whole numbers
    step = plot_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(days) > 1 else plot_w / 2)

    def y(n: int) -> float:
        return top + plot_h - n / peak * plot_h

    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title>",
    ]
    for k in range(5):
        value = round(peak * k / 4)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}"'
            ' stroke="#e3e7ec"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>'
        )
    every = max(1, len(days) // 10)
    for i, day in enumerate(days):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle">{day:%d %b}</text>'
            )
    for n, (name, counts) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(counts.get(d, 0)):.1f}" for i, d in enumerate(days))
        parts.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2.5"'
            f' points="{points}"><title>{_e(name)}</title></polyline>'
        )
        for i, d in enumerate(days):
            if counts.get(d):
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(counts[d]):.1f}" r="3" fill="{colour}">'
                    f"<title>{_e(name)}, {d:%Y-%m-%d}: {counts[d]}</title></circle>"
                )
        ly = top + 14 + n * 20
        parts.append(
            f'<rect x="{width - right + 14}" y="{ly - 9}" width="12" height="12"'
            f' fill="{colour}"/><text x="{width - right + 32}" y="{ly + 1}">'
            f"{_e(_clip(name, 20))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(rows: list[tuple[str, int, int]], *, title: str, part_label: str) -> str:
    """Horizontal bars: the total per row, its `part` (e.g. conflict articles) darker."""
    width, bar, gap, label_w = 900, 18, 8, 230
    height = max(1, len(rows)) * (bar + gap) + 30
    peak = max([1] + [r[1] for r in rows])
    scale = (width - label_w - 70) / peak
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title>",
    ]
    for i, (name, total, part) in enumerate(rows):
        y0 = 10 + i * (bar + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + 13}" text-anchor="end">{_e(_clip(name, 32))}</text>'
            f'<rect class="bar" x="{label_w}" y="{y0}" width="{total * scale:.1f}" height="{bar}"'
            f' fill="{OTHER}"><title>{_e(name)}: {total}</title></rect>'
            f'<rect x="{label_w}" y="{y0}" width="{part * scale:.1f}" height="{bar}"'
            f' fill="{PALETTE[0]}"><title>{_e(name)}: {part} {_e(part_label)}</title></rect>'
            f'<text x="{label_w + total * scale + 6:.1f}" y="{y0 + 13}">{total}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- page ---------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;
margin:0;background:#f7f9fb}main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}
.meta{color:#52606d}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}svg.chart{background:#fff;border:1px solid #d9e2ec;
border-radius:6px;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#3e4c59}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e4e7eb;
padding:5px 8px;text-align:left;vertical-align:top}th{background:#f0f4f8}td.n{text-align:right}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}.failing,.silent{color:#b42318}
.erroring{color:#b54708}.empty{color:#7b8794;font-style:italic}
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else _e(value or "—")


_FEED_HEADERS = [
    "feed",
    "outlet",
    "status",
    "last success",
    "errors in a row",
    "hours since new item",
    "last error",
]


def render(data: dict[str, Any], spec: ReportInput) -> str:
    """The report page as one HTML string."""
    total, outlets, conflict_n, languages = data["totals"]
    series: dict[str, dict[date, int]] = {}
    for name, day, n in data["series"]:
        series.setdefault(name, {})[day] = n
    if spec.conflict is None or not series:
        series = {"all articles": dict(data["daily_all"]), **series}
    scope = f" · conflict: {_e(spec.conflict)}" if spec.conflict else ""
    cards = "".join(
        f'<div class="card"><b>{v}</b>{_e(label)}</div>'
        for label, v in (
            ("articles", total),
            ("outlets", outlets),
            ("conflict articles", conflict_n),
            ("languages", languages),
            ("stories (2+ articles)", len(data["stories"])),
        )
    )
    stories = [
        [
            _link(url, title or story_id),
            str(n),
            str(n_out),
            _e(names),
            _when(first),
            _when(last),
            _e(conflict or "—"),
        ]
        for story_id, title, n, n_out, first, last, conflict, url, names in data["stories"]
    ]
    people = [[_e(v), str(n), str(o)] for v, n, o in data["actor"]]
    places = [[_e(v), str(n), str(o)] for v, n, o in data["place"]]
    feeds = [
        [
            _e(url),
            _e(outlet or "—"),
            f'<span class="{_e(status)}">{_e(status)}</span>',
            _when(ok),
            str(streak),
            _e(hours if hours is not None else "—"),
            _e(_clip(error or "", 90)),
        ]
        for url, outlet, status, ok, streak, hours, error in data["feeds"]
    ]
    title = f"newsdesk report {spec.date_from:%Y-%m-%d} to {spec.date_to:%Y-%m-%d}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{_e(title)}</h1>
<p class="meta">{spec.date_from:%Y-%m-%d} – {spec.date_to:%Y-%m-%d}{scope} ·
generated {spec.generated_at:%Y-%m-%d %H:%M} UTC</p>
<div class="cards">{cards}</div>
<h2>Coverage over time</h2>
{line_chart(series, spec.date_from, spec.date_to, title="Articles per day by conflict")}
<h2>Outlet share</h2>
{bar_chart(data["outlets"], title="Articles per outlet", part_label="conflict articles")}
<p class="meta">Blue: conflict articles; grey: all articles.</p>
<h2>Top stories</h2>
{_table(["story", "articles", "outlets", "who", "first", "last", "conflict"], stories, {1, 2})}
<div class="cols"><section><h2>Top actors</h2>
{_table(["actor", "articles", "outlets"], people, {1, 2})}</section>
<section><h2>Top places</h2>
{_table(["place", "articles", "outlets"], places, {1, 2})}</section></div>
<h2>Feed health</h2>
{_table(_FEED_HEADERS, feeds, {4})}
</main></body></html>
"""


def build_report(con: duckdb.DuckDBPyConnection, spec: ReportInput) -> str:
    """Gather and render; raises ReportError for an empty or inverted range."""
    if spec.date_to < spec.date_from:
        raise ReportError(f"--to {spec.date_to} is before --from {spec.date_from}")
    if (spec.date_to - spec.date_from).days > 3660:
        raise ReportError("the period is longer than ten years; pick a shorter one")
    return render(gather(con, spec), spec)
