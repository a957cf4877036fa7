"""Commands that read the warehouse: `query`, `search`, `report`, `export`, `status`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.cli.common import (
    Format,
    QueryFailed,
    UsageError,
    boundary,
    jsonable,
    parse_date,
    print_rows,
    settings,
    writable_dir,
)

if TYPE_CHECKING:
    from pipeline.status import Status

# The demo summary: (heading, query name under sql/queries/summary/).
SUMMARY = (
    ("Articles by outlet", "articles_by_outlet"),
    ("Feeds with errors", "feeds_with_errors"),
    ("Example: conflict stories, most relevant first", "top_conflict_articles"),
    ("Stories covered by more than one outlet", "multi_outlet_stories"),
)
CONFLICT = typer.Option(help="Only articles tagged with this conflict (name or code).")


class ExportFormat(StrEnum):
    parquet = "parquet"


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("query")(query)
    app.command("search")(search)
    app.command("report")(report)
    app.command("export")(export)
    app.command("status")(status)
    index_app = typer.Typer(help="The full-text search index beside the warehouse.")
    index_app.command("rebuild")(index_rebuild)
    app.add_typer(index_app, name="index")


@boundary
def query(
    sql: Annotated[str, typer.Argument(help="One SQL statement, run read-only.")],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table, csv, json (an array) or jsonl.")
    ] = Format.table,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result."""
    import duckdb

    from pipeline.warehouse import query as run_query

    s = settings()
    setup = None
    if "search_score" in sql.lower():
        # Only then: the search index (and numpy, pyarrow) costs a few hundred ms to load.
        setup = _search_functions(s.db_path)
    try:
        columns, rows = run_query(s.db_path, sql, setup=setup)
    except duckdb.Error as exc:
        raise QueryFailed(f"query failed: {str(exc).splitlines()[0]}") from None
    print_rows(columns, rows, fmt)


def _search_functions(db_path: Path) -> Callable[[Any], None]:
    """Register `search_score(article_id, 'words')` on the query's connection."""
    from pipeline.search import SearchIndex, index_path, register_sql_functions

    def setup(con: Any) -> None:
        register_sql_functions(con, SearchIndex.open(index_path(db_path)))

    return setup


def known_conflict(con: Any, conflict: str | None) -> None:
    """An unknown conflict name or code is an error, not an empty result."""
    if conflict is None:
        return
    from pipeline.queries import load_query

    found = con.execute(load_query("tags/conflict_known"), [conflict]).fetchone()
    if not found or not found[0]:
        names = [r[0] for r in con.execute(load_query("tags/conflict_names")).fetchall()]
        hint = f"; known: {', '.join(names)}" if names else "; no conflict tagged yet"
        raise UsageError(f"--conflict {conflict!r}: no article is tagged with it{hint}")


@boundary
def search(
    words: Annotated[str, typer.Argument(help='Words to find, e.g. "ceasefire istanbul".')],
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")
    ] = None,
    conflict: Annotated[str | None, CONFLICT] = None,
    limit: Annotated[int, typer.Option(help="How many results.", min=1, max=1000)] = 10,
) -> None:
    """Full-text search (BM25 over title and text): ranked articles with a snippet each."""
    import duckdb

    from pipeline.search import SearchIndex, index_path, is_current
    from pipeline.search import search as find
    from pipeline.warehouse import connect

    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if start and end and end < start:
        raise UsageError(f"--to {end} is before --from {start}")
    s = settings()
    try:
        with connect(s.db_path, read_only=True, wait_seconds=s.lock_wait_seconds) as con:
            known_conflict(con, conflict)
            index = SearchIndex.open(index_path(s.db_path))
            try:
                started = time.perf_counter()
                hits = find(
                    con, index, words, date_from=start, date_to=end, conflict=conflict, limit=limit
                )
                elapsed = time.perf_counter() - started
                stale = not is_current(con, index)
            finally:
                index.close()
    except duckdb.Error as exc:
        raise QueryFailed(f"search failed: {str(exc).splitlines()[0]}") from None
    if stale:
        typer.echo(
            "note: the search index is catching up with the last load (see `newsdesk index`)"
        )
    if not hits:
        typer.echo(f"no articles match {words!r}")
        return
    for n, hit in enumerate(hits, 1):
        day = f"{hit.published_at:%Y-%m-%d}" if hit.published_at else "undated"
        typer.echo(f"{n:>2}. [{hit.score:.2f}] {day}  {hit.outlet or '?'}  {hit.title or ''}")
        typer.echo(f"    {hit.snippet}")
        typer.echo(f"    {hit.url}")
    typer.echo(f"{len(hits)} results in {elapsed * 1000:.0f} ms")


def _out_file(out: Path) -> Path:
    if out.exists() and out.is_dir():
        raise UsageError(f"--out {out} is a directory; give a file name")
    writable_dir(out.parent if str(out.parent) else Path(), what="--out folder")
    return out


@boundary
def report(
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    conflict: Annotated[str | None, CONFLICT] = None,
    top: Annotated[int, typer.Option(help="Rows in the top lists.", min=1, max=100)] = 10,
) -> None:
    """Write one self-contained HTML report (charts as inline SVG) for a period."""
    import duckdb

    from pipeline.analysis.report import ReportInput, build_report
    from pipeline.warehouse import connect

    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    assert start is not None and end is not None
    _out_file(out)
    s = settings()
    spec = ReportInput(
        date_from=start, date_to=end, conflict=conflict, generated_at=datetime.now(UTC), top=top
    )
    try:
        with connect(s.db_path, read_only=True, wait_seconds=s.lock_wait_seconds) as con:
            known_conflict(con, conflict)
            page = build_report(con, spec)
    except duckdb.CatalogException as exc:
        raise UsageError(
            f"the warehouse has no analysis tables yet (run a load first): {exc}"
        ) from None
    out.write_text(page, encoding="utf-8")
    typer.echo(f"{out}: {len(page) // 1024} KB")


@boundary
def export(
    out: Annotated[Path, typer.Option(help="Folder to write (one sub-folder per table).")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.")
    ] = ExportFormat.parquet,
) -> None:
    """Export articles, tags, stories and feed fetches as Parquet partitioned by day."""
    import duckdb

    from pipeline.analysis.export import export_parquet
    from pipeline.warehouse import connect

    writable_dir(out, what="--out")
    s = settings()
    try:
        with connect(s.db_path, read_only=True, wait_seconds=s.lock_wait_seconds) as con:
            results = export_parquet(con, out)
    except duckdb.CatalogException as exc:
        raise UsageError(
            f"the warehouse has no analysis tables yet (run a load first): {exc}"
        ) from None
    for r in results:
        typer.echo(f"{r.path}: {r.rows} rows")


def print_summary(db_path: Path) -> None:
    """What the demo stored: counts and a few example queries, each shown with its SQL."""
    from pipeline.queries import load_query
    from pipeline.warehouse import query as run_query

    _, rows = run_query(db_path, load_query("summary/totals"))
    typer.echo(f"\n{db_path}: {rows[0][0]} articles from {rows[0][1]} outlets")
    for title, name in SUMMARY:
        sql = load_query(f"summary/{name}")
        body = " ".join(line for line in sql.splitlines() if not line.startswith("--"))
        typer.echo(f"\n{title}:")
        typer.echo("  " + " ".join(body.split()))
        print_rows(*run_query(db_path, sql), Format.table)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return str(value)


def render_status(status: Status) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    if status.feeds:
        feeds = Table("status", "feed", "outlet", "errors in a row", "last error", "last success",
                      "last new item", title="Feeds needing attention")  # fmt: skip
        keys = ("status", "feed_url", "outlet", "error_streak", "last_error", "last_success")
        for f in status.feeds:
            feeds.add_row(*(_text(f[k]) for k in (*keys, "last_new_at")))
        console.print(feeds)
    else:
        console.print("All feeds healthy: none failing or silent.")
    runs = Table("run", "source", "started", "feeds ok/304/err", "new items", "inserted",
                 "seconds", "skipped", title="Last runs")  # fmt: skip
    for r in status.runs:
        runs.add_row(
            r["run_id"], r["source"], _text(r["started_at"]),
            f"{r['feeds_ok']}/{r['feeds_not_modified']}/{r['feeds_error']}",
            _text(r["items_new"]), _text(r["articles_inserted"]), _text(r["elapsed_s"]),
            _text(r["skipped"]),
        )  # fmt: skip
    console.print(runs)
    if status.schedule:
        sched = Table("feed", "interval (s)", "next due", "why", "last outcome",
                      title="Watch schedule")  # fmt: skip
        for row in status.schedule:
            sched.add_row(row["feed_url"], f"{row['interval_s']:.0f}", _text(row["next_due_at"]),
                          row["reason"], _text(row["last_outcome"]))  # fmt: skip
        console.print(sched)


@boundary
def status(
    fmt: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StatusFormat.table,
    runs: Annotated[int, typer.Option(min=0, help="How many recent runs to show.")] = 5,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="List every feed, healthy ones too.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 1 when a feed is failing or silent.")
    ] = False,
) -> None:
    """Show failing and silent feeds, the last runs with their skip reasons, the watch schedule."""
    from pipeline.status import read_status

    s = settings()
    current = read_status(s.db_path, runs=runs, all_feeds=all_feeds)
    if fmt is StatusFormat.json:
        data = {k: [{c: jsonable(v) for c, v in row.items()} for row in rows]
                for k, rows in asdict(current).items()}  # fmt: skip
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
    else:
        render_status(current)
    if check and current.problems:
        raise typer.Exit(1)


@boundary
def index_rebuild() -> None:
    """Rebuild the search index from the warehouse (after a crash, an upgrade, or a copy)."""
    from pipeline.search import SearchIndex, index_path, rebuild
    from pipeline.warehouse import connect

    s = settings()
    started = time.perf_counter()
    with (
        connect(s.db_path, read_only=True, wait_seconds=s.lock_wait_seconds) as con,
        SearchIndex.open(index_path(s.db_path), writable=True) as index,
    ):
        update = rebuild(con, index)
    typer.echo(
        f"{index_path(s.db_path)}: {update.indexed} articles indexed in "
        f"{time.perf_counter() - started:.1f}s"
    )
