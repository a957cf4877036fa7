"""Commands that ingest: `run`, `demo`, `watch`, `backfill`, `reprocess`, `retag`, `import`.

Each builds a source and runs it through the one pass (`pipeline.run.run_source`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.common import (
    OVERRIDES,
    UsageError,
    boundary,
    check_paths,
    log,
    settings,
    setup_logging,
    skipped_line,
)
from pipeline.config import Settings

if TYPE_CHECKING:
    from pipeline.models import RunReport
    from pipeline.run import Progress
    from pipeline.sources.base import PassTotals, Window

VERBOSE = typer.Option("--verbose", "-v", help="Debug logging.")
FEEDS = typer.Option(help="Feed list (CSV or OPML); default $NEWSDESK_FEEDS.")
DEMO_DB = Path("data/demo.duckdb")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("watch")(watch)
    app.command("backfill")(backfill)
    app.command("reprocess")(reprocess)
    app.command("retag")(retag)
    app.command("import")(import_files)


@contextmanager
def progress_bars(total_feeds: int = 0) -> Iterator[Progress | None]:
    """Rich bars on a terminal (feeds, pages, one per unit); plain log lines otherwise."""
    if not sys.stderr.isatty():

        def plain(event: str, label: str, n: int) -> None:
            if event == "unit" and label not in ("live",):
                log.info("%s: started", label)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as bar:
        feeds = bar.add_task("feeds", total=total_feeds) if total_feeds else None
        units: list[TaskID] = []

        def tick(event: str, label: str, n: int) -> None:
            if event == "unit":
                units.append(bar.add_task("pages" if label == "live" else label, total=None))
            elif event == "feed" and feeds is not None:
                bar.advance(feeds, n)
            elif event == "page" and units:
                bar.advance(units[-1], n)

        yield tick


def print_run(report: RunReport) -> None:
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
        typer.echo(skipped_line(report.skipped))


@boundary
def run(
    feeds: Annotated[Path | None, FEEDS] = None,
    verbose: Annotated[bool, VERBOSE] = False,
) -> None:
    """Run one ingest pass: poll every feed, fetch new articles, extract, tag and store them."""
    from pipeline.feeds import load_feeds
    from pipeline.run import run_once

    setup_logging(verbose)
    s = settings(**({"feeds_path": feeds} if feeds else {}))
    check_paths(s)
    feed_list = load_feeds(s.feeds_path)
    with progress_bars(len(feed_list)) as tick:
        report, _ = run_once(s, feeds=feed_list, progress=tick)
    print_run(report)


def demo_settings(base: Settings, db: Path) -> Settings:
    """The demo's own database and data folder, loopback allowed, quick politeness."""
    return replace(
        base,
        db_path=db,
        data_dir=db.parent / "demo",
        http=replace(base.http, allow_private_hosts=True, min_host_delay=0.05, retries=1),
    )


@boundary
def demo(
    db: Annotated[Path | None, typer.Option(help="DuckDB file to fill.")] = None,
) -> None:
    """Serve the demo corpus on 127.0.0.1, run one pass into a DuckDB file, print a summary."""
    from pipeline.cli.read import print_summary
    from pipeline.demo import serve_corpus
    from pipeline.run import run_once

    setup_logging(False)
    base = settings()
    s = demo_settings(base, db or OVERRIDES.get("db") or DEMO_DB)
    check_paths(s)
    with serve_corpus(first_port=s.demo_port) as corpus:
        typer.echo(
            f"serving {len(corpus.bases)} demo outlets on 127.0.0.1 ({len(corpus.feeds)} feeds)"
        )
        with progress_bars(len(corpus.feeds)) as tick:
            report, _ = run_once(s, feeds=corpus.feeds, progress=tick)
    print_run(report)
    print_summary(s.db_path)


@boundary
def watch(
    feeds: Annotated[Path | None, FEEDS] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Watch the demo corpus, served on 127.0.0.1.")
    ] = False,
    max_cycles: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many polling cycles.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Stop at this time: a duration (90s, 2h) or ISO date-time.")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(help="DuckDB file; default $NEWSDESK_DB, or data/demo.duckdb with --demo."),
    ] = None,
) -> None:
    """Poll feeds continuously, each at its own adaptive interval; SIGTERM/Ctrl-C stop cleanly."""
    from pipeline.feeds import load_feeds
    from pipeline.watch import parse_until
    from pipeline.watch import watch as watch_feeds

    setup_logging(False)
    s = settings(**({"feeds_path": feeds} if feeds else {}))
    stop_at = parse_until(until, now=datetime.now(UTC)) if until else None
    if db is not None:
        s = replace(s, db_path=db)
    if demo:
        from pipeline.demo import serve_corpus

        # Like `newsdesk demo`: its own database, so loopback feeds never mix with real ones.
        s = demo_settings(s, db or OVERRIDES.get("db") or DEMO_DB)
        check_paths(s)
        with serve_corpus(first_port=s.demo_port) as corpus:
            report = watch_feeds(s, corpus.feeds, max_cycles=max_cycles, until=stop_at)
    else:
        check_paths(s)
        report = watch_feeds(s, load_feeds(s.feeds_path), max_cycles=max_cycles, until=stop_at)
    typer.echo(
        f"watch stopped ({report.stopped_by}): {report.cycles} cycles, "
        f"{report.feeds_polled} feed polls, {report.articles_inserted} articles inserted, "
        f"{report.elapsed_s:.1f}s"
    )


def print_backfill(report: PassTotals, window: Window, s: Settings) -> None:
    from pipeline.warehouse import WarehouseError, query

    typer.echo(
        f"backfill {report.source} {window.start}..{window.end}: "
        f"{report.units_done} units done, {report.units_resumed} already done, "
        f"{report.units_failed} failed; captures {report.captures}; items found "
        f"{report.items_found} ({report.items_new} new); articles staged "
        f"{report.articles_staged}, inserted {report.articles_inserted}"
    )
    if report.skipped:
        typer.echo(skipped_line(report.skipped))
    if not s.db_path.exists():
        return
    from pipeline.queries import load_query

    try:
        _, rows = query(
            s.db_path,
            load_query("coverage/backfill_days"),
            [report.source, window.start, window.end],
        )
    except WarehouseError:
        return
    for day, outlet, found, stored, missing, errors in rows:
        typer.echo(
            f"  {day} {outlet}: found {found}, stored {stored}, pages missing {missing}"
            + (f", errors {errors}" if errors else "")
        )


@boundary
def backfill(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
    source: Annotated[
        str, typer.Option(help="Archive to read: wayback, warc or sitemap.")
    ] = "wayback",
    feeds: Annotated[
        Path | None,
        typer.Option(help="Feed list (CSV or OPML); default $NEWSDESK_FEEDS. For warc: outlets."),
    ] = None,
    warc: Annotated[
        list[str] | None,
        typer.Option(help="WARC/ARC file, folder or glob (repeatable); for --source warc."),
    ] = None,
    domains: Annotated[
        str | None,
        typer.Option(help="Comma-separated outlet domains (warc: keep only these; sitemap: add)."),
    ] = None,
    redo: Annotated[
        bool, typer.Option("--redo", help="Ignore checkpoints: read finished days again.")
    ] = False,
    verbose: Annotated[bool, VERBOSE] = False,
) -> None:
    """Backfill past days from archives; coverage per day lands in `coverage_days`."""
    from pipeline.backfill import ARCHIVES, run_backfill
    from pipeline.feeds import load_feeds
    from pipeline.sources.base import Window, parse_day

    if source not in ARCHIVES:
        raise UsageError(f"--source {source!r}: expected one of {', '.join(ARCHIVES)}")
    setup_logging(verbose)
    s = settings(**({"feeds_path": feeds} if feeds else {}))
    window = Window(parse_day(date_from, "--from"), parse_day(date_to, "--to"))
    domain_list = [d.strip() for d in (domains or "").split(",") if d.strip()]
    paths: list[Path] = []
    if source == "warc":
        from pipeline.sources.warc import expand_paths

        if not warc:
            raise UsageError("--source warc needs --warc PATH_OR_GLOB")
        paths = expand_paths(warc)
    elif warc:
        raise UsageError(f"--warc is only read with --source warc (not {source})")
    # A warc backfill filters by the feed list only when one is named explicitly.
    use_feeds = source != "warc" or feeds is not None
    feed_list = load_feeds(s.feeds_path) if use_feeds else []
    check_paths(s)
    with progress_bars() as tick:
        report = run_backfill(
            s, window=window, source=source, feeds=feed_list, warc=paths,
            domains=domain_list, now=datetime.now(UTC), redo=redo, progress=tick,
        )  # fmt: skip
    print_backfill(report, window, s)


@boundary
def reprocess(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="WARC files or folders; default the raw captures.")
    ] = None,
) -> None:
    """Re-extract and re-tag stored articles from raw WARC captures, with no network."""
    from pipeline.run import run_source
    from pipeline.sources.captures import CapturesSource

    setup_logging(False)
    s = settings()
    now = datetime.now(UTC)
    with progress_bars() as tick:
        report = run_source(s, CapturesSource(paths or (), now=now), now=now, progress=tick).report
    typer.echo(
        f"reprocess: {report.pages_fetched} captures read, {report.articles_staged} re-extracted, "
        f"{report.articles_updated} articles updated"
    )
    if report.skipped:
        typer.echo(skipped_line(report.skipped))


@boundary
def retag(
    force: Annotated[
        bool, typer.Option(help="Re-tag every article, not only outdated ones.")
    ] = False,
) -> None:
    """Re-tag stored articles whose tagger version differs from the current one (no network)."""
    from pipeline.run import run_source
    from pipeline.sources.stored import StoredSource

    setup_logging(False)
    s = settings()
    now = datetime.now(UTC)
    report = run_source(s, StoredSource(now=now, force=force), now=now).report
    typer.echo(
        f"retag: {report.articles_staged} articles re-tagged, {report.articles_updated} updated"
    )


@boundary
def import_files(
    files: Annotated[
        list[Path], typer.Argument(help="JSONL or Parquet files (url, text, title, ...).")
    ],
    chunk: Annotated[
        int, typer.Option(min=1, help="Records per staged run (each merged before the next).")
    ] = 5000,
) -> None:
    """Import a corpus (news-please, Fundus, CC-NEWS extracts): clean, tag and store it."""
    from pipeline.run import run_source
    from pipeline.sources.corpus import CorpusSource

    setup_logging(False)
    s = settings()
    source = CorpusSource(files, chunk_size=chunk)
    check_paths(s)
    now = datetime.now(UTC)
    with progress_bars() as tick:
        totals = run_source(s, source, now=now, progress=tick).totals
    typer.echo(
        f"import: {totals.items_found} records read, {totals.items_new} new, "
        f"{totals.articles_staged} staged, {totals.articles_inserted} inserted, "
        f"{totals.articles_updated} updated"
    )
    if totals.skipped:
        typer.echo(skipped_line(totals.skipped))
