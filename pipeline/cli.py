"""The `newsdesk` command line."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.analysis.cli import export_cmd, report_cmd, search_cmd
from pipeline.backfill.cli import backfill
from pipeline.clikit import fail as _fail
from pipeline.clikit import settings as _settings
from pipeline.config import ConfigError
from pipeline.feeds import FeedListError, add_feeds, load_feeds, read_opml
from pipeline.models import Feed, RunReport
from pipeline.status import status_command
from pipeline.warehouse import WarehouseError, query
from pipeline.watch import watch_command

app = typer.Typer(
    help="newsdesk: ingest news feeds politely, extract and tag articles, query them in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("backfill")(backfill)
app.command("watch")(watch_command)
app.command("status")(status_command)
feeds_app = typer.Typer(help="Manage the feed list (CSV or OPML).", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")
app.command("search")(search_cmd)
app.command("report")(report_cmd)
app.command("export")(export_cmd)

log = logging.getLogger("newsdesk")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def _progress(total_feeds: int) -> Iterator[Callable[[str, int], None] | None]:
    """A rich progress display on a terminal; plain log lines otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as bar:
        feeds = bar.add_task("feeds", total=total_feeds)
        pages = bar.add_task("pages", total=None)

        def tick(what: str, n: int) -> None:
            bar.advance(feeds if what == "feed" else pages, n)

        yield tick


def _print_report(report: RunReport) -> None:
    typer.echo(
        f"run {report.run_id}: feeds {report.feeds_total} "
        f"(ok {report.feeds_ok}, not modified {report.feeds_not_modified}, "
        f"with errors {report.feeds_error}); items {report.items_seen} seen, "
        f"{report.items_new} new; pages fetched {report.pages_fetched}; "
        f"articles staged {report.articles_staged}, inserted {report.articles_inserted}, "
        f"updated {report.articles_updated}; {report.elapsed_s:.1f}s"
    )
    if report.text_sources:
        typer.echo(
            "  text from: " + ", ".join(f"{k} {v}" for k, v in sorted(report.text_sources.items()))
        )
    if report.skipped:
        typer.echo("  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())))


@app.command()
def run(
    feeds: Annotated[
        Path | None, typer.Option(help="Feed list (CSV or OPML); default $NEWSDESK_FEEDS.")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Run one ingest pass: poll every feed, fetch new articles, extract, tag and store them."""
    from pipeline.run import run_once

    _setup_logging(verbose)
    settings = _settings(**({"feeds_path": feeds} if feeds else {}))
    try:
        feed_list = load_feeds(settings.feeds_path)
        with _progress(len(feed_list)) as tick:
            report, _ = run_once(settings, feeds=feed_list, progress=tick)
    except (FeedListError, WarehouseError, ConfigError) as exc:
        _fail(str(exc))
    _print_report(report)


@app.command("query")
def query_cmd(
    sql: Annotated[str, typer.Argument(help="One SQL statement, run read-only.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Run a read-only SQL query against the warehouse and print the result."""
    import duckdb

    from pipeline.analysis.search import load_fts

    settings = _settings()
    try:
        # fts loaded from its wheel, so the search index's match_bm25 works in ad hoc SQL too.
        columns, rows = query(settings.db_path, sql, setup=load_fts)
    except WarehouseError as exc:
        _fail(str(exc))
    except duckdb.Error as exc:
        _fail(f"query failed: {str(exc).splitlines()[0]}", code=1)
    _print_rows(columns, rows, fmt)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: Format) -> None:
    if fmt is Format.json:
        for row in rows:
            obj = {c: _jsonable(v) for c, v in zip(columns, row, strict=True)}
            typer.echo(json.dumps(obj, ensure_ascii=False, default=str))
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(width=200).print(table)


@app.command()
def extract(
    paths: Annotated[
        list[Path], typer.Argument(help="HTML or .html.gz files, or folders of them.")
    ],
    url: Annotated[str | None, typer.Option(help="The page URL (helps metadata).")] = None,
) -> None:
    """Extract article text and metadata from saved pages; one JSON object per file on stdout."""
    from pipeline.extract import extract_html, read_html_file

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.name.endswith((".html", ".htm", ".html.gz")))
            )
        elif path.exists():
            files.append(path)
        else:
            _fail(f"{path}: no such file or folder")
    for path in files:
        try:
            result = extract_html(read_html_file(path), url=url)
        except OSError as exc:
            typer.echo(f"newsdesk: {path}: cannot read: {exc}", err=True)
            continue
        obj: dict[str, Any] = {"path": str(path), "url": url}
        fields = ("title", "author", "published_at", "language", "sitename", "text")
        for name in fields:
            obj[name] = _jsonable(getattr(result, name)) if result else None
        typer.echo(json.dumps(obj, ensure_ascii=False))


@app.command()
def reprocess(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="WARC files or folders; default the raw captures.")
    ] = None,
) -> None:
    """Re-extract and re-tag stored articles from raw WARC captures, with no network."""
    from pipeline.reprocess import reprocess as reprocess_captures
    from pipeline.run import make_pool

    _setup_logging(False)
    settings = _settings()
    try:
        with make_pool(settings.workers) as pool:
            report, _ = reprocess_captures(settings, paths=paths or None, pool=pool)
    except WarehouseError as exc:
        _fail(str(exc))
    typer.echo(
        f"reprocess: {report.pages_fetched} captures read, {report.articles_staged} re-extracted, "
        f"{report.articles_updated} articles updated"
    )
    if report.skipped:
        typer.echo("  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())))


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="DuckDB file to fill.")] = Path("data/demo.duckdb"),
) -> None:
    """Serve the demo corpus on 127.0.0.1, run one pass into a DuckDB file, print a summary."""
    from pipeline.demo import serve_corpus
    from pipeline.run import run_once

    _setup_logging(False)
    base = _settings()
    settings = replace(
        base,
        db_path=db,
        data_dir=db.parent / "demo",
        http=replace(base.http, allow_private_hosts=True, min_host_delay=0.05, retries=1),
    )
    with serve_corpus() as corpus:
        typer.echo(
            f"serving {len(corpus.bases)} demo outlets on 127.0.0.1 ({len(corpus.feeds)} feeds)"
        )
        with _progress(len(corpus.feeds)) as tick:
            report, _ = run_once(settings, feeds=corpus.feeds, progress=tick)
    _print_report(report)
    print_summary(settings.db_path)


@app.command()
def tag(
    source: Annotated[
        str, typer.Argument(help="JSONL file with id, title, text (and language); - for stdin.")
    ] = "-",
) -> None:
    """Tag JSONL records; print one JSON object per record with the verdict and its evidence."""
    from pipeline.tagging import get_tagger

    tagger = get_tagger(_settings().taxonomy_dir)
    for n, record in _read_jsonl(source):
        title, text = record.get("title"), record.get("text")
        result = tagger.tag(title, text, record.get("language"))
        typer.echo(json.dumps(result.to_json(record.get("id", n)), ensure_ascii=False))


@app.command("eval-tagger")
def eval_tagger(
    source: Annotated[str, typer.Argument(help="Labelled JSONL (title, text, label, source).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Print precision, recall and F1 of the tagger on labelled data, overall and per source."""
    from pipeline.tagging import evaluate, get_tagger

    tagger = get_tagger(_settings().taxonomy_dir)
    report = evaluate(tagger, (record for _, record in _read_jsonl(source)))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    columns = ["source", "n", "precision", "recall", "f1", "fp_rate"]
    table = [("overall", *(report["overall"][c] for c in columns[1:]))]
    table += [(s, *(f[c] for c in columns[1:])) for s, f in report["by_source"].items()]
    _print_rows(columns, table, Format.table)
    typer.echo(f"tagger_version {report['tagger_version']}")


def _read_jsonl(source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON object line; a bad line stops with its number."""
    if source != "-" and not Path(source).exists():
        _fail(f"{source}: no such file")
    fh = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                _fail(f"{source}: line {n}: not JSON: {exc.msg}")
            if not isinstance(record, dict):
                _fail(f"{source}: line {n}: expected a JSON object")
            yield n, record
    finally:
        if fh is not sys.stdin:
            fh.close()


@app.command()
def retag(
    force: Annotated[
        bool, typer.Option(help="Re-tag every article, not only outdated ones.")
    ] = False,
) -> None:
    """Re-tag stored articles whose tagger version differs from the current one (no network)."""
    from pipeline.retag import retag as retag_articles

    settings = _settings()
    try:
        report, _ = retag_articles(settings, force=force)
    except WarehouseError as exc:
        _fail(str(exc))
    typer.echo(
        f"retag: {report.articles_staged} articles re-tagged, {report.articles_updated} updated"
    )


SUMMARY_QUERIES = {
    "Articles by outlet": """
        SELECT outlet, count(*) AS articles, count(*) FILTER (WHERE is_conflict) AS conflict,
               count(*) FILTER (WHERE text_source = 'feed_summary') AS from_summary
        FROM articles GROUP BY outlet ORDER BY articles DESC, outlet""",
    "Feeds with errors": """
        SELECT feed_url, last_status, last_error FROM feeds WHERE last_error IS NOT NULL
        ORDER BY feed_url""",
    "Example: conflict stories, most relevant first": """
        SELECT outlet, strftime(published_at, '%Y-%m-%d') AS day, round(conflict_score, 2) AS score,
               left(title, 70) AS title
        FROM articles WHERE is_conflict ORDER BY conflict_score DESC, title LIMIT 8""",
    "Stories covered by more than one outlet": """
        SELECT size AS articles, len(outlets) AS outlets, main_conflict, left(title, 60) AS title
        FROM stories WHERE len(outlets) > 1 ORDER BY outlets DESC, size DESC, title LIMIT 5""",
}


def print_summary(db_path: Path) -> None:
    _, rows = query(db_path, "SELECT count(*), count(DISTINCT outlet) FROM articles")
    typer.echo(f"\n{db_path}: {rows[0][0]} articles from {rows[0][1]} outlets")
    for title, sql in SUMMARY_QUERIES.items():
        typer.echo(f"\n{title}:")
        typer.echo("  " + " ".join(sql.split()))
        _print_rows(*query(db_path, sql), Format.table)


@feeds_app.command("list")
def feeds_list(
    path: Annotated[Path | None, typer.Option(help="Feed list; default $NEWSDESK_FEEDS.")] = None,
) -> None:
    """Print the feeds in the feed list."""
    settings = _settings()
    try:
        feeds = load_feeds(path or settings.feeds_path)
    except FeedListError as exc:
        _fail(str(exc))
    _print_rows(
        ["outlet", "url", "country", "language"],
        [(f.outlet, f.url, f.country, f.language) for f in feeds],
        Format.table,
    )


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="Feed URL (RSS, Atom or JSON Feed).")],
    outlet: Annotated[str | None, typer.Option(help="Outlet name.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 country code.")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 language code.")] = None,
    path: Annotated[
        Path | None, typer.Option(help="Feed list CSV; default $NEWSDESK_FEEDS.")
    ] = None,
) -> None:
    """Add one feed to the CSV feed list (no duplicates)."""
    target = path or _settings().feeds_path
    try:
        added = add_feeds(
            target, [Feed(url=url, outlet=outlet, country=country, language=language)]
        )
    except FeedListError as exc:
        _fail(str(exc))
    typer.echo(f"{target}: {'added' if added else 'already listed'} {url}")


@feeds_app.command("import-opml")
def feeds_import_opml(
    opml: Annotated[Path, typer.Argument(help="OPML file exported from a feed reader.")],
    path: Annotated[
        Path | None, typer.Option(help="Feed list CSV; default $NEWSDESK_FEEDS.")
    ] = None,
) -> None:
    """Add every feed of an OPML file to the CSV feed list."""
    target = path or _settings().feeds_path
    try:
        added = add_feeds(target, read_opml(opml))
    except FeedListError as exc:
        _fail(str(exc))
    typer.echo(f"{target}: added {added} feeds from {opml}")


def main() -> None:
    app()
