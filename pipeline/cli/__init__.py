"""The `newsdesk` command line: one module per command group, one error boundary, lazy stages.

| group | module | commands |
|---|---|---|
| ingest | `ingest` | run, demo, watch, backfill, reprocess, retag |
| read | `read` | query, search, report, export, status |
| text | `text` | tag, eval-tagger, extract |
| feeds | `feeds` | feeds list / add / import-opml |

Importing this package loads typer, rich and the standard library only (a test keeps it so):
each command imports the pipeline stages it needs when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli import feeds, ingest, read, text
from pipeline.cli.common import OVERRIDES, default_sigpipe

app = typer.Typer(
    help="newsdesk: ingest news feeds politely, extract and tag articles, query them in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: rich's markdown help renderer alone costs 0.4 s per `--help`.
    rich_markup_mode=None,
)


@app.callback()
def _global(
    db: Annotated[
        Path | None, typer.Option("--db", help="DuckDB file (default $NEWSDESK_DB).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Staging and raw captures (default $NEWSDESK_DATA_DIR)."),
    ] = None,
) -> None:
    """Global options, applied to every command."""
    OVERRIDES.clear()
    if db is not None:
        OVERRIDES["db"] = db
    if data_dir is not None:
        OVERRIDES["data_dir"] = data_dir


for module in (ingest, read, text):
    module.register(app)
app.add_typer(feeds.app, name="feeds")


def main() -> None:
    default_sigpipe()
    app()
