"""What every `newsdesk` command shares: the error boundary, settings, logging, output.

Light on purpose: importing the CLI (for `--help`, or `query`) loads typer, rich and the
standard library only; every command imports the pipeline stages it needs inside its body.
"""

from __future__ import annotations

import csv
import errno
import functools
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer

from pipeline.config import ConfigError, Settings

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("newsdesk")

# Set by the app callback from `newsdesk --db PATH --data-dir PATH`; env stays the default.
OVERRIDES: dict[str, Path] = {}
NOISY_LOGGERS = ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer")


class UsageError(ValueError):
    """A command cannot run as asked; the message names the input and what to do."""


class QueryFailed(RuntimeError):
    """The SQL itself failed (exit 1, unlike the exit 2 of a command that could not run)."""


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `newsdesk: <message>` on stderr and exit (2: could not run at all)."""
    typer.echo(f"newsdesk: {message}", err=True)
    raise typer.Exit(code)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """The typed errors of the layers below that mean bad input or an unusable environment."""
    out: list[type[BaseException]] = [ConfigError, UsageError, OSError]
    for module, name in (
        ("pipeline.feeds", "FeedListError"),
        ("pipeline.sources.base", "SourceError"),
        ("pipeline.warehouse", "WarehouseError"),
        ("pipeline.urls", "UrlError"),
        ("pipeline.run", "PassFailed"),
        ("pipeline.search.query", "SearchError"),
        ("pipeline.search.index", "SearchIndexError"),
        ("pipeline.analysis.report", "ReportError"),
        ("pipeline.analysis.export", "ExportError"),
        ("pipeline.watch", "WatchLocked"),
    ):
        loaded = sys.modules.get(module)  # only what the command imported can have raised
        if loaded is not None:
            out.append(getattr(loaded, name))
    return tuple(out)


def boundary(func: Callable[P, R]) -> Callable[P, R]:
    """The one error boundary: an expected error becomes one line on stderr, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except QueryFailed as exc:
            fail(str(exc), code=1)
        except BrokenPipeError:
            # `newsdesk ... | head`: the reader left; stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except _expected_errors() as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise typer.Exit(0) from None
            fail(_describe(exc))

    return wrapper


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        what = exc.strerror or str(exc)
        return f"{exc.filename}: {what.lower()}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def settings(**overrides: Any) -> Settings:
    """Settings from the environment and the global options, or a one-line error."""
    try:
        base = Settings.from_env(**overrides)
    except ConfigError as exc:
        fail(str(exc))
    if "db" in OVERRIDES:
        base = replace(base, db_path=OVERRIDES["db"])
    if "data_dir" in OVERRIDES:
        base = replace(base, data_dir=OVERRIDES["data_dir"])
    return base


def writable_dir(path: Path, *, what: str) -> Path:
    """Create `path` (and parents) or fail naming it: checked before any network request."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".newsdesk-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"{what} {path} is not a writable folder ({exc.strerror or exc}); "
            "set it to a folder you can write"
        ) from None
    return path


def check_paths(s: Settings) -> None:
    """The database's folder and the data folder exist and are writable."""
    writable_dir(s.db_path.parent, what="the database folder (NEWSDESK_DB / --db)")
    writable_dir(s.data_dir, what="the data folder (NEWSDESK_DATA_DIR / --data-dir)")


def setup_logging(verbose: bool = False) -> None:
    """One logging set-up: rich on a terminal (progress bars stay intact), plain lines otherwise."""
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def default_sigpipe() -> None:
    """Die quietly on a closed pipe (`newsdesk query ... | head`)."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: Format) -> None:
    if fmt in (Format.json, Format.jsonl):
        objs = [{c: jsonable(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        if fmt is Format.json:
            typer.echo(json.dumps(objs, ensure_ascii=False, default=str, indent=1))
        else:
            for obj in objs:
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


def skipped_line(skipped: dict[str, int]) -> str:
    return "  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))


def read_jsonl(source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each JSON object line; a bad line stops with its number."""
    if source != "-" and not Path(source).exists():
        raise UsageError(f"{source}: no such file")
    fh = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{source}: line {n}: not JSON: {exc.msg}") from None
            if not isinstance(record, dict):
                raise UsageError(f"{source}: line {n}: expected a JSON object")
            yield n, record
    finally:
        if fh is not sys.stdin:
            fh.close()


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
