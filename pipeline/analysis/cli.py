"""CLI commands of the analysis layer: `search`, `report`, `export` (registered in pipeline.cli)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from pipeline.clikit import fail as _fail
from pipeline.clikit import settings as _settings
from pipeline.warehouse import WarehouseError, connect


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date (YYYY-MM-DD)")


def search_cmd(
    query: Annotated[str, typer.Argument(help='Words to find, e.g. "ceasefire istanbul".')],
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD), inclusive.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")
    ] = None,
    conflict: Annotated[
        str | None, typer.Option(help="Only articles tagged with this conflict (name or code).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many results.", min=1, max=1000)] = 10,
) -> None:
    """Full-text search (BM25 over title and text): ranked articles with a snippet each."""
    from pipeline.analysis.search import SearchError, is_stale, search

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if start and end and end < start:
        _fail(f"--to {end} is before --from {start}")
    settings = _settings()
    try:
        with connect(
            settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds
        ) as con:
            started = time.perf_counter()
            hits = search(con, query, date_from=start, date_to=end, conflict=conflict, limit=limit)
            elapsed = time.perf_counter() - started
            stale = is_stale(con)
    except (SearchError, WarehouseError) as exc:
        _fail(str(exc))
    except duckdb.Error as exc:
        _fail(f"search failed: {str(exc).splitlines()[0]}", code=1)
    if stale:
        typer.echo("note: articles changed since the index was built; the next load rebuilds it")
    if not hits:
        typer.echo(f"no articles match {query!r}")
        return
    for n, hit in enumerate(hits, 1):
        day = f"{hit.published_at:%Y-%m-%d}" if hit.published_at else "undated"
        typer.echo(f"{n:>2}. [{hit.score:.2f}] {day}  {hit.outlet or '?'}  {hit.title or ''}")
        typer.echo(f"    {hit.snippet}")
        typer.echo(f"    {hit.url}")
    typer.echo(f"{len(hits)} results in {elapsed * 1000:.0f} ms")


def report_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")],
    out: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    conflict: Annotated[
        str | None, typer.Option(help="Only articles tagged with this conflict (name or code).")
    ] = None,
    top: Annotated[int, typer.Option(help="Rows in the top lists.", min=1, max=100)] = 10,
) -> None:
    """Write one self-contained HTML report (charts as inline SVG) for a period."""
    from pipeline.analysis.report import ReportError, ReportInput, build_report

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    assert start is not None and end is not None
    if out.exists() and out.is_dir():
        _fail(f"--out {out} is a directory; give a file name")
    settings = _settings()
    spec = ReportInput(
        date_from=start,
        date_to=end,
        conflict=conflict,
        generated_at=datetime.now(UTC),
        top=top,
    )
    try:
        with connect(
            settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds
        ) as con:
            page = build_report(con, spec)
    except (ReportError, WarehouseError) as exc:
        _fail(str(exc))
    except duckdb.CatalogException as exc:
        _fail(f"the warehouse has no analysis tables yet (run a load first): {exc}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    typer.echo(f"{out}: {len(page) // 1024} KB")


def export_cmd(
    out: Annotated[Path, typer.Option(help="Folder to write (one sub-folder per table).")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: parquet.")] = "parquet",
) -> None:
    """Export articles, tags, stories and feed fetches as Parquet partitioned by day."""
    from pipeline.analysis.export import ExportError, export_parquet

    if fmt != "parquet":
        _fail(f"--format {fmt!r} is not supported (parquet)")
    settings = _settings()
    try:
        with connect(
            settings.db_path, read_only=True, wait_seconds=settings.lock_wait_seconds
        ) as con:
            results = export_parquet(con, out)
    except (ExportError, WarehouseError) as exc:
        _fail(str(exc))
    except duckdb.CatalogException as exc:
        _fail(f"the warehouse has no analysis tables yet (run a load first): {exc}")
    for r in results:
        typer.echo(f"{r.path}: {r.rows} rows")
