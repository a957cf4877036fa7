"""`newsdesk feeds`: list, add and import the feed list (CSV or OPML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import Format, boundary, print_rows, settings

app = typer.Typer(help="Manage the feed list (CSV or OPML).", no_args_is_help=True)
LIST = typer.Option(help="Feed list CSV; default $NEWSDESK_FEEDS.")


@app.command("list")
@boundary
def feeds_list(
    path: Annotated[Path | None, typer.Option(help="Feed list; default $NEWSDESK_FEEDS.")] = None,
) -> None:
    """Print the feeds in the feed list."""
    from pipeline.feeds import load_feeds

    feeds = load_feeds(path or settings().feeds_path)
    print_rows(
        ["outlet", "url", "country", "language"],
        [(f.outlet, f.url, f.country, f.language) for f in feeds],
        Format.table,
    )


@app.command("add")
@boundary
def feeds_add(
    url: Annotated[str, typer.Argument(help="Feed URL (RSS, Atom or JSON Feed).")],
    outlet: Annotated[str | None, typer.Option(help="Outlet name.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 country code.")] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1 language code.")] = None,
    path: Annotated[Path | None, LIST] = None,
) -> None:
    """Add one feed to the CSV feed list (no duplicates)."""
    from pipeline.feeds import add_feeds
    from pipeline.models import Feed

    target = path or settings().feeds_path
    added = add_feeds(target, [Feed(url=url, outlet=outlet, country=country, language=language)])
    typer.echo(f"{target}: {'added' if added else 'already listed'} {url}")


@app.command("import-opml")
@boundary
def feeds_import_opml(
    opml: Annotated[Path, typer.Argument(help="OPML file exported from a feed reader.")],
    path: Annotated[Path | None, LIST] = None,
) -> None:
    """Add every feed of an OPML file to the CSV feed list."""
    from pipeline.feeds import add_feeds, read_opml

    target = path or settings().feeds_path
    added = add_feeds(target, read_opml(opml))
    typer.echo(f"{target}: added {added} feeds from {opml}")
