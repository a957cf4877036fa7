"""`newsdesk backfill`: fill past days from the Wayback Machine, WARC files or sitemaps."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.backfill.core import BackfillError, BackfillReport, DayProgress, Window, parse_day
from pipeline.clikit import fail as _fail
from pipeline.config import ConfigError, Settings
from pipeline.feeds import FeedListError, load_feeds
from pipeline.warehouse import WarehouseError, query

log = logging.getLogger("newsdesk")


class SourceName(StrEnum):
    wayback = "wayback"
    warc = "warc"
    sitemap = "sitemap"


@contextmanager
def _day_bars() -> Iterator[DayProgress | None]:
    """One rich progress bar per day on a terminal; plain log lines otherwise."""
    if not sys.stderr.isatty():

        def plain(event: str, label: str, n: int) -> None:
            if event == "day":
                log.info("backfill %s: %d pages to process", label, n)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
        current: list[TaskID] = []

        def tick(event: str, label: str, n: int) -> None:
            if event == "day":
                current.append(bar.add_task(label, total=n or None))
            elif event == "step" and current:
                bar.advance(current[-1], n)
            elif event == "done" and current:
                task = bar.tasks[-1]
                bar.update(current[-1], total=task.completed or 1, completed=task.completed or 1)

        yield tick


def _print(report: BackfillReport, settings: Settings) -> None:
    typer.echo(
        f"backfill {report.source} {report.start}..{report.end}: "
        f"{report.units_done} units done, {report.units_resumed} already done, "
        f"{report.units_failed} failed; captures {report.captures}; items found "
        f"{report.items_found} ({report.items_new} new); articles staged "
        f"{report.articles_staged}, inserted {report.articles_inserted}"
    )
    if report.skipped:
        typer.echo("  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())))
    if not settings.db_path.exists():
        return
    try:
        _, rows = query(
            settings.db_path,
            "SELECT day, outlet, items_found, articles_stored, pages_missing, errors"
            " FROM coverage_days WHERE source = ? AND day BETWEEN ? AND ? ORDER BY day, outlet",
            [report.source, report.start, report.end],
        )
    except WarehouseError:
        return
    for day, outlet, found, stored, missing, errors in rows:
        typer.echo(
            f"  {day} {outlet}: found {found}, stored {stored}, pages missing {missing}"
            + (f", errors {errors}" if errors else "")
        )


def backfill(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
    source: Annotated[
        SourceName, typer.Option(help="Archive to read: wayback, warc or sitemap.")
    ] = SourceName.wayback,
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
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Backfill past days from archives; coverage per day lands in `coverage_days`."""
    from pipeline.backfill import run_backfill

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        if feeds is not None:
            settings = replace(settings, feeds_path=feeds)
        window = Window(parse_day(date_from, "--from"), parse_day(date_to, "--to"))
        domain_list = [d.strip() for d in (domains or "").split(",") if d.strip()]
        paths: list[Path] = []
        if source is SourceName.warc:
            from pipeline.backfill.warc import expand_paths

            if not warc:
                raise BackfillError("--source warc needs --warc PATH_OR_GLOB")
            paths = expand_paths(warc)
        elif warc:
            raise BackfillError(f"--warc is only read with --source warc (not {source.value})")
        # A warc backfill filters by the feed list only when one is named explicitly.
        feed_list = (
            load_feeds(settings.feeds_path)
            if source is not SourceName.warc or feeds is not None
            else []
        )
        with _day_bars() as progress:
            report = run_backfill(
                settings,
                window=window,
                source=source.value,
                feeds=feed_list,
                warc=paths,
                domains=domain_list,
                now=datetime.now(UTC),
                redo=redo,
                progress=progress,
            )
    except (BackfillError, ConfigError, FeedListError, WarehouseError) as exc:
        _fail(str(exc))
    _print(report, settings)
